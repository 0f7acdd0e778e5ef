package org.caretrail.producers.hl7;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Objects;
import java.util.Optional;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.ProviderKind;

/**
 * Settings of the HL7v2 MLLP adapter, each with its default and its check.
 *
 * <ul>
 *   <li>{@code port} (default {@value #DEFAULT_PORT}; 0 picks a free port) and {@code bindAddress}
 *       (default {@code 127.0.0.1}: loopback unless told otherwise).</li>
 *   <li>{@code defaultOdsCode}: the organisation when MSH-4 does not carry a valid ODS code; empty
 *       means such messages are rejected with AE.</li>
 *   <li>{@code organisationName}, {@code providerKind} (default ACUTE): the event source.</li>
 *   <li>{@code zone} (default Europe/London): the zone of HL7 times that carry no offset.</li>
 *   <li>{@code charset} (default UTF-8) of the MLLP byte stream.</li>
 *   <li>{@code maxConnections} (default 64), {@code maxMessageBytes} (default 1 MiB),
 *       {@code idleTimeout} (default 5 min, a connection silent that long is closed).</li>
 *   <li>{@code publishTimeout} (default 30 s): how long to wait for Kafka before answering AR.</li>
 *   <li>{@code recentMessageIds} (default 10,000): how many MSH-10s are remembered to answer a
 *       re-delivery AA without publishing again.</li>
 * </ul>
 */
public record Hl7Settings(
        String bindAddress,
        int port,
        Optional<OdsCode> defaultOdsCode,
        String organisationName,
        ProviderKind providerKind,
        ZoneId zone,
        Charset charset,
        int maxConnections,
        int maxMessageBytes,
        Duration idleTimeout,
        Duration publishTimeout,
        int recentMessageIds) {

    public static final int DEFAULT_PORT = 2575;

    public Hl7Settings {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(defaultOdsCode, "defaultOdsCode");
        Objects.requireNonNull(providerKind, "providerKind");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(charset, "charset");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(publishTimeout, "publishTimeout");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("MLLP port must be 0-65535, got " + port);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, got " + maxConnections);
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1024, got " + maxMessageBytes);
        }
        if (recentMessageIds < 1) {
            throw new IllegalArgumentException("recentMessageIds must be at least 1, got " + recentMessageIds);
        }
    }

    /** Loopback, port 2575, organisation from MSH-4 only, ACUTE, Europe/London, UTF-8. */
    public static Hl7Settings defaults() {
        return new Hl7Settings("127.0.0.1", DEFAULT_PORT, Optional.empty(), null, ProviderKind.ACUTE,
                ZoneId.of("Europe/London"), StandardCharsets.UTF_8, 64, 1 << 20, Duration.ofMinutes(5),
                Duration.ofSeconds(30), 10_000);
    }

    public Hl7Settings withPort(int newPort) {
        return new Hl7Settings(bindAddress, newPort, defaultOdsCode, organisationName, providerKind, zone, charset,
                maxConnections, maxMessageBytes, idleTimeout, publishTimeout, recentMessageIds);
    }

    public Hl7Settings withBindAddress(String address) {
        return new Hl7Settings(address, port, defaultOdsCode, organisationName, providerKind, zone, charset,
                maxConnections, maxMessageBytes, idleTimeout, publishTimeout, recentMessageIds);
    }

    /** The organisation used when MSH-4 is not a valid ODS code. */
    public Hl7Settings withOrganisation(String odsCode, String name) {
        return new Hl7Settings(bindAddress, port, Optional.of(new OdsCode(odsCode)), name, providerKind, zone,
                charset, maxConnections, maxMessageBytes, idleTimeout, publishTimeout, recentMessageIds);
    }

    public Hl7Settings withProviderKind(ProviderKind kind) {
        return new Hl7Settings(bindAddress, port, defaultOdsCode, organisationName, kind, zone, charset,
                maxConnections, maxMessageBytes, idleTimeout, publishTimeout, recentMessageIds);
    }

    public Hl7Settings withZone(ZoneId newZone) {
        return new Hl7Settings(bindAddress, port, defaultOdsCode, organisationName, providerKind, newZone, charset,
                maxConnections, maxMessageBytes, idleTimeout, publishTimeout, recentMessageIds);
    }

    public Hl7Settings withRecentMessageIds(int count) {
        return new Hl7Settings(bindAddress, port, defaultOdsCode, organisationName, providerKind, zone, charset,
                maxConnections, maxMessageBytes, idleTimeout, publishTimeout, count);
    }

    public Hl7Settings withPublishTimeout(Duration timeout) {
        return new Hl7Settings(bindAddress, port, defaultOdsCode, organisationName, providerKind, zone, charset,
                maxConnections, maxMessageBytes, idleTimeout, timeout, recentMessageIds);
    }
}
