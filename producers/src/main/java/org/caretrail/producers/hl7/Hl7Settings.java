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
 * Settings of the HL7v2 MLLP adapter, each with its default and its check. The limits of the front
 * door are what stops a sender (careless or hostile) from taking the listener away from the others;
 * each one, when it bites, writes a log line naming the peer and the limit.
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>setting</th><th>default</th><th>what it is</th></tr>
 * <tr><td>{@code bindAddress}, {@code port}</td><td>127.0.0.1, {@value #DEFAULT_PORT}</td><td>where to listen (port 0: a free port)</td></tr>
 * <tr><td>{@code defaultOdsCode}, {@code organisationName}</td><td>none</td><td>the organisation when MSH-4 is no ODS code (none: such messages are AE)</td></tr>
 * <tr><td>{@code providerKind}</td><td>ACUTE</td><td>the source's kind</td></tr>
 * <tr><td>{@code zone}</td><td>Europe/London</td><td>the zone of HL7 times without an offset</td></tr>
 * <tr><td>{@code charset}</td><td>UTF-8</td><td>of the MLLP byte stream</td></tr>
 * <tr><td>{@code maxConnections}</td><td>{@value #DEFAULT_MAX_CONNECTIONS}</td><td>connections open at once; when full, the connection longest without a complete message is closed to make room</td></tr>
 * <tr><td>{@code maxConnectionsPerPeer}</td><td>{@value #DEFAULT_MAX_CONNECTIONS_PER_PEER}</td><td>connections from one IP address; one more is refused</td></tr>
 * <tr><td>{@code maxMessageBytes}</td><td>1 MiB</td><td>one frame; a longer one is refused (AR) and the connection closed</td></tr>
 * <tr><td>{@code frameDeadline}</td><td>{@value #DEFAULT_FRAME_DEADLINE_SECONDS} s</td><td>from a frame's start byte to its end: a sender trickling bytes is cut off</td></tr>
 * <tr><td>{@code idleTimeout}</td><td>{@value #DEFAULT_IDLE_TIMEOUT_SECONDS} s</td><td>a connection silent that long between messages is closed (senders reconnect)</td></tr>
 * <tr><td>{@code publishTimeout}</td><td>{@value #DEFAULT_PUBLISH_TIMEOUT_SECONDS} s</td><td>how long a message waits for Kafka before the sender gets AR (resend): within senders' usual 30 s timeouts</td></tr>
 * <tr><td>{@code messageLogMaxEntries}</td><td>{@value #DEFAULT_MESSAGE_LOG_MAX_ENTRIES}</td><td>messages, and items, the in-memory copy of the message log holds (least recently used go first)</td></tr>
 * <tr><td>{@code messageLogMaxAge}</td><td>{@value #DEFAULT_MESSAGE_LOG_MAX_AGE_DAYS} days</td><td>older entries are forgotten (the topic's retention is the same)</td></tr>
 * <tr><td>{@code messageLogStartTimeout}</td><td>60 s</td><td>how long start-up may take to read the message log before the adapter refuses to start</td></tr>
 * </table>
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
        int maxConnectionsPerPeer,
        int maxMessageBytes,
        Duration frameDeadline,
        Duration idleTimeout,
        Duration publishTimeout,
        int messageLogMaxEntries,
        Duration messageLogMaxAge,
        Duration messageLogStartTimeout) {

    public static final int DEFAULT_PORT = 2575;
    public static final int DEFAULT_MAX_CONNECTIONS = 128;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_PEER = 16;
    public static final int DEFAULT_FRAME_DEADLINE_SECONDS = 15;
    public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
    public static final int DEFAULT_PUBLISH_TIMEOUT_SECONDS = 10;
    public static final int DEFAULT_MESSAGE_LOG_MAX_ENTRIES = 100_000;
    public static final int DEFAULT_MESSAGE_LOG_MAX_AGE_DAYS = 30;

    public Hl7Settings {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(defaultOdsCode, "defaultOdsCode");
        Objects.requireNonNull(providerKind, "providerKind");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(charset, "charset");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("MLLP port must be 0-65535, got " + port);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, got " + maxConnections);
        }
        if (maxConnectionsPerPeer < 1 || maxConnectionsPerPeer > maxConnections) {
            throw new IllegalArgumentException("maxConnectionsPerPeer must be 1-" + maxConnections + " (maxConnections), got "
                    + maxConnectionsPerPeer);
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1024, got " + maxMessageBytes);
        }
        positive(frameDeadline, "frameDeadline");
        positive(idleTimeout, "idleTimeout");
        positive(publishTimeout, "publishTimeout");
        positive(messageLogMaxAge, "messageLogMaxAge");
        positive(messageLogStartTimeout, "messageLogStartTimeout");
        if (messageLogMaxEntries < 1) {
            throw new IllegalArgumentException("messageLogMaxEntries must be at least 1, got " + messageLogMaxEntries);
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    /** Every default (see the table above). */
    public static Hl7Settings defaults() {
        return new Hl7Settings("127.0.0.1", DEFAULT_PORT, Optional.empty(), null, ProviderKind.ACUTE,
                ZoneId.of("Europe/London"), StandardCharsets.UTF_8, DEFAULT_MAX_CONNECTIONS,
                DEFAULT_MAX_CONNECTIONS_PER_PEER, 1 << 20, Duration.ofSeconds(DEFAULT_FRAME_DEADLINE_SECONDS),
                Duration.ofSeconds(DEFAULT_IDLE_TIMEOUT_SECONDS), Duration.ofSeconds(DEFAULT_PUBLISH_TIMEOUT_SECONDS),
                DEFAULT_MESSAGE_LOG_MAX_ENTRIES, Duration.ofDays(DEFAULT_MESSAGE_LOG_MAX_AGE_DAYS),
                Duration.ofSeconds(60));
    }

    public Hl7Settings withPort(int newPort) {
        return copy().port(newPort).build();
    }

    public Hl7Settings withBindAddress(String address) {
        return copy().bindAddress(address).build();
    }

    /** The organisation used when MSH-4 is not a valid ODS code. */
    public Hl7Settings withOrganisation(String odsCode, String name) {
        return copy().organisation(Optional.of(new OdsCode(odsCode)), name).build();
    }

    public Hl7Settings withProviderKind(ProviderKind kind) {
        return copy().providerKind(kind).build();
    }

    public Hl7Settings withZone(ZoneId newZone) {
        return copy().zone(newZone).build();
    }

    public Hl7Settings withPublishTimeout(Duration timeout) {
        return copy().publishTimeout(timeout).build();
    }

    /** The front door's limits: connections in all, per peer, frame size, frame deadline, idle timeout. */
    public Hl7Settings withLimits(int connections, int perPeer, int messageBytes, Duration deadline, Duration idle) {
        return copy().limits(connections, perPeer, messageBytes, deadline, idle).build();
    }

    /** The bounds of the message log's in-memory copy. */
    public Hl7Settings withMessageLog(int maxEntries, Duration maxAge) {
        return copy().messageLog(maxEntries, maxAge).build();
    }

    private Copy copy() {
        return new Copy(this);
    }

    /** A mutable copy, so each {@code withX} names only what it changes. */
    private static final class Copy {
        private String bindAddress;
        private int port;
        private Optional<OdsCode> defaultOdsCode;
        private String organisationName;
        private ProviderKind providerKind;
        private ZoneId zone;
        private final Charset charset;
        private int maxConnections;
        private int maxConnectionsPerPeer;
        private int maxMessageBytes;
        private Duration frameDeadline;
        private Duration idleTimeout;
        private Duration publishTimeout;
        private int messageLogMaxEntries;
        private Duration messageLogMaxAge;
        private final Duration messageLogStartTimeout;

        Copy(Hl7Settings s) {
            bindAddress = s.bindAddress;
            port = s.port;
            defaultOdsCode = s.defaultOdsCode;
            organisationName = s.organisationName;
            providerKind = s.providerKind;
            zone = s.zone;
            charset = s.charset;
            maxConnections = s.maxConnections;
            maxConnectionsPerPeer = s.maxConnectionsPerPeer;
            maxMessageBytes = s.maxMessageBytes;
            frameDeadline = s.frameDeadline;
            idleTimeout = s.idleTimeout;
            publishTimeout = s.publishTimeout;
            messageLogMaxEntries = s.messageLogMaxEntries;
            messageLogMaxAge = s.messageLogMaxAge;
            messageLogStartTimeout = s.messageLogStartTimeout;
        }

        Copy port(int value) {
            port = value;
            return this;
        }

        Copy bindAddress(String value) {
            bindAddress = value;
            return this;
        }

        Copy organisation(Optional<OdsCode> ods, String name) {
            defaultOdsCode = ods;
            organisationName = name;
            return this;
        }

        Copy providerKind(ProviderKind value) {
            providerKind = value;
            return this;
        }

        Copy zone(ZoneId value) {
            zone = value;
            return this;
        }

        Copy publishTimeout(Duration value) {
            publishTimeout = value;
            return this;
        }

        Copy limits(int connections, int perPeer, int messageBytes, Duration deadline, Duration idle) {
            maxConnections = connections;
            maxConnectionsPerPeer = perPeer;
            maxMessageBytes = messageBytes;
            frameDeadline = deadline;
            idleTimeout = idle;
            return this;
        }

        Copy messageLog(int maxEntries, Duration maxAge) {
            messageLogMaxEntries = maxEntries;
            messageLogMaxAge = maxAge;
            return this;
        }

        Hl7Settings build() {
            return new Hl7Settings(bindAddress, port, defaultOdsCode, organisationName, providerKind, zone, charset,
                    maxConnections, maxConnectionsPerPeer, maxMessageBytes, frameDeadline, idleTimeout,
                    publishTimeout, messageLogMaxEntries, messageLogMaxAge, messageLogStartTimeout);
        }
    }
}
