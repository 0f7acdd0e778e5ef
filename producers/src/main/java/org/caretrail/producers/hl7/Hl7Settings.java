package org.caretrail.producers.hl7;

import java.nio.charset.Charset;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.settings.Setting;
import org.caretrail.events.settings.Settings;

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
 *
 * <p>Each is also a {@link Setting} ({@link #DEFINITIONS}, named {@code hl7.*}), so an operator sets it in the
 * config file, the environment or on the command line and {@link #from(Settings)} builds the record; the
 * listener's address and port are {@code caretrail up}'s ({@code up.http-host}, {@code up.mllp-port}).
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

    private static String positiveProblem(Duration d) {
        return d.isNegative() || d.isZero() ? "must be positive" : null;
    }

    public static final Setting<String> DEFAULT_ODS_CODE = Setting.text("hl7.default-ods-code", "",
            "The organisation (ODS code) of a feed whose MSH-4 (sending facility) is no ODS code; empty: such "
                    + "messages are answered AE.")
            .checkedBy(v -> v.isEmpty() ? null : OdsCode.problem(v));
    public static final Setting<String> ORGANISATION_NAME = Setting.text("hl7.organisation-name", "",
            "The name of hl7.default-ods-code's organisation, carried in the events' source.");
    public static final Setting<String> PROVIDER_KIND = Setting.text("hl7.provider-kind", ProviderKind.ACUTE.name(),
            "The kind of care the HL7 feed's organisation gives (the events' source).")
            .oneOf(Arrays.stream(ProviderKind.values()).map(Enum::name).toList());
    public static final Setting<String> ZONE = Setting.text("hl7.zone", "Europe/London",
            "The time zone of HL7 times written without an offset.")
            .checkedBy(v -> ZoneId.getAvailableZoneIds().contains(v) || v.equals("UTC") ? null
                    : "must be a time zone id such as Europe/London");
    public static final Setting<String> CHARSET = Setting.text("hl7.charset", "UTF-8",
            "The character set of the MLLP byte stream.")
            .checkedBy(v -> Charset.isSupported(v) ? null : "must be a character set this Java knows, e.g. UTF-8");
    public static final Setting<Integer> MAX_CONNECTIONS = Setting.integer("hl7.max-connections",
            DEFAULT_MAX_CONNECTIONS, "MLLP connections open at once; when full, the one longest without a complete "
                    + "message is closed to make room.").between(1, 100_000);
    public static final Setting<Integer> MAX_CONNECTIONS_PER_PEER = Setting.integer("hl7.max-connections-per-peer",
            DEFAULT_MAX_CONNECTIONS_PER_PEER, "MLLP connections from one IP address (at most hl7.max-connections); "
                    + "one more is refused.").between(1, 100_000);
    public static final Setting<Integer> MAX_MESSAGE_BYTES = Setting.integer("hl7.max-message-bytes", 1 << 20,
            "Bytes of one MLLP frame; a longer one is refused (AR) and the connection closed.")
            .between(1024, 64L << 20);
    public static final Setting<Duration> FRAME_DEADLINE = Setting.duration("hl7.frame-deadline",
            Duration.ofSeconds(DEFAULT_FRAME_DEADLINE_SECONDS),
            "From a frame's start byte to its end: a sender trickling bytes is cut off.")
            .checkedBy(Hl7Settings::positiveProblem);
    public static final Setting<Duration> IDLE_TIMEOUT = Setting.duration("hl7.idle-timeout",
            Duration.ofSeconds(DEFAULT_IDLE_TIMEOUT_SECONDS),
            "A connection silent this long between messages is closed (senders reconnect).")
            .checkedBy(Hl7Settings::positiveProblem);
    public static final Setting<Duration> PUBLISH_TIMEOUT = Setting.duration("hl7.publish-timeout",
            Duration.ofSeconds(DEFAULT_PUBLISH_TIMEOUT_SECONDS),
            "How long a message waits for Kafka before the sender gets AR (resend).")
            .checkedBy(Hl7Settings::positiveProblem);
    public static final Setting<Integer> MESSAGE_LOG_MAX_ENTRIES = Setting.integer("hl7.message-log-max-entries",
            DEFAULT_MESSAGE_LOG_MAX_ENTRIES, "Messages, and items, the in-memory copy of the message log holds "
                    + "(least recently used go first).").between(1, 100_000_000);
    public static final Setting<Duration> MESSAGE_LOG_MAX_AGE = Setting.duration("hl7.message-log-max-age",
            Duration.ofDays(DEFAULT_MESSAGE_LOG_MAX_AGE_DAYS),
            "Older message log entries are forgotten (repeats older than this are published again).")
            .checkedBy(Hl7Settings::positiveProblem);
    public static final Setting<Duration> MESSAGE_LOG_START_TIMEOUT = Setting.duration(
            "hl7.message-log-start-timeout", Duration.ofSeconds(60),
            "How long start-up may take to read the message log before the adapter refuses to start.")
            .checkedBy(Hl7Settings::positiveProblem);

    /** Every HL7 setting, in the order {@code caretrail config} and the README list them. */
    public static final List<Setting<?>> DEFINITIONS = List.of(DEFAULT_ODS_CODE, ORGANISATION_NAME, PROVIDER_KIND,
            ZONE, CHARSET, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_PEER, MAX_MESSAGE_BYTES, FRAME_DEADLINE, IDLE_TIMEOUT,
            PUBLISH_TIMEOUT, MESSAGE_LOG_MAX_ENTRIES, MESSAGE_LOG_MAX_AGE, MESSAGE_LOG_START_TIMEOUT);

    /** The HL7 settings resolved from the file, the environment and the command line, listening on the defaults. */
    public static Hl7Settings from(Settings s) {
        String ods = s.get(DEFAULT_ODS_CODE);
        String name = s.get(ORGANISATION_NAME);
        if (s.get(MAX_CONNECTIONS_PER_PEER) > s.get(MAX_CONNECTIONS)) {
            throw new IllegalArgumentException("setting " + MAX_CONNECTIONS_PER_PEER.name() + " = '"
                    + s.get(MAX_CONNECTIONS_PER_PEER) + "' (" + s.origin(MAX_CONNECTIONS_PER_PEER) + ") must be at most "
                    + MAX_CONNECTIONS.name() + " = '" + s.get(MAX_CONNECTIONS) + "' (" + s.origin(MAX_CONNECTIONS) + ")");
        }
        return new Hl7Settings("127.0.0.1", DEFAULT_PORT,
                ods.isEmpty() ? Optional.empty() : Optional.of(new OdsCode(ods)), name.isEmpty() ? null : name,
                ProviderKind.valueOf(s.get(PROVIDER_KIND)), ZoneId.of(s.get(ZONE)), Charset.forName(s.get(CHARSET)),
                s.get(MAX_CONNECTIONS), s.get(MAX_CONNECTIONS_PER_PEER), s.get(MAX_MESSAGE_BYTES),
                s.get(FRAME_DEADLINE), s.get(IDLE_TIMEOUT), s.get(PUBLISH_TIMEOUT), s.get(MESSAGE_LOG_MAX_ENTRIES),
                s.get(MESSAGE_LOG_MAX_AGE), s.get(MESSAGE_LOG_START_TIMEOUT));
    }

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
        return from(Settings.defaults(DEFINITIONS));
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
