package org.caretrail.timeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.caretrail.events.settings.Setting;
import org.caretrail.events.settings.Settings;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.timeline.errors.DeadLetterHandlers;

/**
 * The settings of the timeline stream processor: one typed, documented constant per setting, with
 * its default and its check (the shared {@link Setting}; {@link #from(Settings)} reads them from the file, the
 * environment and the command line as every module's settings are). Immutable; {@link #with} returns a changed copy. {@link
 * #toStreamsProperties()} is THE Kafka Streams configuration, used by the application and by the
 * topology tests alike.
 *
 * <pre>{@code
 * TimelineSettings settings = TimelineSettings.defaults()
 *         .with(TimelineSettings.BOOTSTRAP_SERVERS, "localhost:9092")
 *         .with(TimelineSettings.STATE_DIR, Path.of("data/streams"));
 * }</pre>
 */
public final class TimelineSettings {

    private static final Map<String, Setting<?>> ALL = new LinkedHashMap<>();

    /**
     * The default application id. v2: care items keep the set of their events (a new store format) and the
     * event-history store is gone. v3: care items are stamped (a new store format), a progress store is added, and
     * the order index, spells, summaries and due marks are kept without changelogs. Each time a new version
     * rebuilds its state from the retained event topics under a new id rather than read the old state.
     */
    public static final String DEFAULT_APPLICATION_ID = "caretrail-timeline-v3";

    public static final Setting<String> APPLICATION_ID = define("timeline.application.id", DEFAULT_APPLICATION_ID,
            "Kafka Streams application id: consumer group, prefix of internal topics and state directories. "
                    + "Changing it starts the timeline from scratch (every timeline rebuilt from the retained event "
                    + "topics).",
            Function.identity(), v -> v.matches("[A-Za-z0-9._-]+") ? null : "only letters, digits, '.', '_', '-'");
    public static final Setting<String> BOOTSTRAP_SERVERS = define("timeline.bootstrap.servers", "localhost:9092",
            "Kafka brokers, host:port[,host:port...].",
            Function.identity(), v -> v.isBlank() ? "must not be blank" : null);
    public static final Setting<Path> STATE_DIR = define("timeline.state.dir", Path.of("data", "streams"),
            "Where the state stores (RocksDB) live; keep it across restarts to avoid restoring from changelogs.",
            Path::of, v -> null);
    public static final Setting<String> PROCESSING_GUARANTEE = define("timeline.processing.guarantee",
            StreamsConfig.EXACTLY_ONCE_V2,
            "exactly_once_v2 (default: each event in exactly one timeline entry, even after a crash) "
                    + "or at_least_once (tests and benchmarks only).",
            Function.identity(), v -> List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE).contains(v)
                    ? null : "must be exactly_once_v2 or at_least_once");
    public static final Setting<Integer> NUM_STANDBY_REPLICAS = define("timeline.num.standby.replicas", 0,
            "Warm copies of each state store on other instances, for fast fail-over (0 on one machine).",
            Integer::valueOf, v -> v >= 0 && v <= 5 ? null : "must be between 0 and 5");
    public static final Setting<Integer> NUM_STREAM_THREADS = define("timeline.num.stream.threads", 1,
            "Stream threads in this instance.", Integer::valueOf, v -> v >= 1 && v <= 64 ? null : "must be 1..64");
    public static final Setting<Duration> COMMIT_INTERVAL = define("timeline.commit.interval", Duration.ofMillis(100),
            "How often progress is committed (with exactly_once_v2 also how soon output becomes visible).",
            Duration::parse, v -> v.toMillis() >= 10 ? null : "must be at least 10 ms (PT0.01S)");
    public static final Setting<Integer> MAX_TIMELINE_ENTRIES = define("timeline.max.entries", 100,
            "Most recent current entries carried in each care.timelines record; older ones are paged via the API.",
            Integer::valueOf, v -> v >= 1 && v <= 5000 ? null : "must be 1..5000");
    /** The producer's {@code max.request.size} the stream processor runs with (Kafka's default). */
    public static final int PRODUCER_MAX_REQUEST_SIZE = 1_048_576;

    public static final Setting<Integer> RECORD_BUDGET = define("timeline.record.budget", 512 * 1024,
            "Bytes each care.timelines record is built to: the summary within half of it (the oldest list items "
                    + "left out and counted in summary.omitted), then as many of the most recent entries as the rest "
                    + "holds (truncated=true when any is left out). Keep it well below timeline.max.record.bytes.",
            Integer::valueOf, v -> v >= 16 * 1024 && v <= 1_000_000 ? null : "must be 16384..1000000");
    public static final Setting<Integer> MAX_RECORD_BYTES = define("timeline.max.record.bytes", 1_000_000,
            "Largest care.timelines or care.timeline-changes record written (below the producer's max.request.size "
                    + "of " + PRODUCER_MAX_REQUEST_SIZE + "): a larger one is not written; that patient's output goes "
                    + "to the dead-letter topic with the reason and processing goes on.",
            Integer::valueOf, v -> v >= 1024 && v <= PRODUCER_MAX_REQUEST_SIZE - 16 * 1024 ? null
                    : "must be 1024.." + (PRODUCER_MAX_REQUEST_SIZE - 16 * 1024));
    public static final Setting<Integer> THREAD_MAX_RESTARTS = define("timeline.thread.max.restarts", 5,
            "How many times a stream thread that fails for the same cause is replaced within "
                    + "timeline.thread.restart.window; after that the instance stops processing and reports itself "
                    + "DOWN with the cause. An unreachable schema registry is waited for instead (backing off up to "
                    + "a minute), and reported as DEGRADED.",
            Integer::valueOf, v -> v >= 0 && v <= 100 ? null : "must be 0..100");
    public static final Setting<Duration> THREAD_RESTART_WINDOW = define("timeline.thread.restart.window",
            Duration.ofMinutes(10), "The window timeline.thread.max.restarts counts in.",
            Duration::parse, v -> v.toMillis() >= 1000 ? null : "must be at least 1 s (PT1S)");
    public static final Setting<Duration> TIMELINE_EMIT_INTERVAL = define("timeline.emit.interval",
            Duration.ofSeconds(1),
            "How often changed patients' care.timelines records are written (PT0S: after every event). "
                    + "Timeline changes are always written at once.",
            Duration::parse, v -> v.isNegative() ? "must not be negative" : null);
    public static final Setting<Duration> MAX_FUTURE_SKEW = define("timeline.max.future.skew", Duration.ofHours(24),
            "Events whose occurredAt is further than this ahead of now go to the dead-letter topic.",
            Duration::parse, v -> v.isNegative() ? "must not be negative" : null);
    public static final Setting<Duration> UNRESOLVED_TIMEOUT = define("timeline.unresolved.timeout",
            Duration.ofDays(7),
            "How long an event known only by a local identifier waits for a link to an NHS number before it goes "
                    + "to the dead-letter topic.",
            Duration::parse, v -> v.toMillis() >= 1000 ? null : "must be at least 1 s (PT1S)");
    public static final Setting<String> APPLICATION_SERVER = define("timeline.application.server", "",
            "host:port where this instance answers queries other instances forward to it, over TLS (caretrail up: "
                    + "its peer port, up.peer-port; empty: single instance, no forwarding).",
            Function.identity(), v -> v.isEmpty() || v.matches("[^:]+:\\d{1,5}") ? null : "must be host:port or empty");
    public static final Setting<String> DEAD_LETTER_TOPIC = define("timeline.dead.letter.topic",
            CareTopics.DEAD_LETTER, "Where rejected input goes, with its reason and origin in headers.",
            Function.identity(), v -> v.isBlank() ? "must not be blank" : null);

    public static final Setting<String> TIMELINES_TOPIC = define("timeline.timelines.topic", CareTopics.TIMELINES,
            "Where each patient's timeline record (summary + most recent entries) is written; a rebuild side by "
                    + "side with the live application writes to its own, e.g. care.timelines.v2.",
            Function.identity(), TimelineSettings::topicNameProblem);
    public static final Setting<String> CHANGES_TOPIC = define("timeline.changes.topic", CareTopics.TIMELINE_CHANGES,
            "Where each timeline change (ADDED / UPDATED / WITHDRAWN) is written; a rebuild side by side with the "
                    + "live application writes to its own, e.g. care.timeline-changes.v2.",
            Function.identity(), TimelineSettings::topicNameProblem);

    public static final Setting<String> MERGE_MOVES_TOPIC = define("timeline.merge.moves.topic",
            CareTopics.TIMELINE_MERGE_MOVES, "Internal: where an entry that reached a patient merged away in turn "
                    + "(a merge chain) goes on to the next survivor. Same partition count as the care event topics; "
                    + "a rebuild side by side uses its own.",
            Function.identity(), TimelineSettings::topicNameProblem);

    public static final Setting<Long> ROCKSDB_MEMORY = define("timeline.rocksdb.memory", 256L * 1024 * 1024,
            "Bytes of native memory all the instance's RocksDB stores share for their block cache, index and filter "
                    + "blocks and write buffers (a third of it), whatever the number of stores and partitions; the "
                    + "first instance in a JVM sets it for all.",
            Long::valueOf, v -> v >= 16L * 1024 * 1024 ? null : "must be at least 16 MiB (16777216)");
    public static final Setting<Long> CACHE_BYTES = define("timeline.cache.bytes", 32L * 1024 * 1024,
            "Bytes of heap the stores' record caches share: several writes of one key within a commit interval "
                    + "reach RocksDB and the changelog once.",
            Long::valueOf, v -> v >= 0 ? null : "must not be negative");
    public static final Setting<String> INTERNAL_TOPICS_REPLICATION = define("timeline.internal.topics.replication",
            "", "Replication of the stream processor's own changelog and repartition topics as FACTOR/MIN_ISR "
                    + "(e.g. 3/2 on a cluster, as the care topics; caretrail up sets it to what they were applied "
                    + "with). Empty: the brokers' default.replication.factor and min.insync.replicas.",
            Function.identity(), v -> {
                if (v.isEmpty()) {
                    return null;
                }
                try {
                    org.caretrail.events.topic.Replication.parse(v);
                    return null;
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                }
            });

    private final Map<Setting<?>, Object> values;
    /** How the stream processor connects to Kafka (TLS, SCRAM principal); null: plain, on {@link #BOOTSTRAP_SERVERS}. */
    private final org.caretrail.events.kafka.KafkaClientSettings kafkaClient;

    private TimelineSettings(Map<Setting<?>, Object> values) {
        this(values, null);
    }

    private TimelineSettings(Map<Setting<?>, Object> values, org.caretrail.events.kafka.KafkaClientSettings kafkaClient) {
        this.values = Collections.unmodifiableMap(values);
        this.kafkaClient = kafkaClient;
    }

    /**
     * A copy connecting as {@code kafka}: its bootstrap servers become {@link #BOOTSTRAP_SERVERS} and its
     * security settings (TLS, the stream processor's SCRAM principal) go to every client Kafka Streams makes.
     */
    public TimelineSettings withKafkaClient(org.caretrail.events.kafka.KafkaClientSettings kafka) {
        Map<Setting<?>, Object> copy = new LinkedHashMap<>(values);
        copy.put(BOOTSTRAP_SERVERS, BOOTSTRAP_SERVERS.check(kafka.bootstrapServers()));
        return new TimelineSettings(copy, kafka);
    }

    /** How the stream processor connects to Kafka: {@link #withKafkaClient}, or plain on the bootstrap servers. */
    public org.caretrail.events.kafka.KafkaClientSettings kafkaClient() {
        return kafkaClient != null ? kafkaClient.withBootstrapServers(get(BOOTSTRAP_SERVERS))
                : org.caretrail.events.kafka.KafkaClientSettings.plaintext(get(BOOTSTRAP_SERVERS));
    }

    private static <T> Setting<T> define(String name, T defaultValue, String doc, Function<String, T> parser,
            Function<T, String> problem) {
        String type = defaultValue instanceof Duration ? "duration" : defaultValue instanceof Path ? "path"
                : defaultValue instanceof Number ? "integer" : "text";
        Setting<T> s = Setting.of(name, type, defaultValue, parser, doc).checkedBy(problem);
        ALL.put(name, s);
        return s;
    }

    /** The timeline's settings as resolved from the file, the environment and the command line. */
    public static TimelineSettings from(Settings resolved) {
        Map<Setting<?>, Object> values = new LinkedHashMap<>();
        for (Setting<?> s : ALL.values()) {
            values.put(s, resolved.get(s));
        }
        return new TimelineSettings(values);
    }

    /** Every setting, in declaration order (for help texts). */
    public static List<Setting<?>> all() {
        return List.copyOf(ALL.values());
    }

    public static TimelineSettings defaults() {
        return new TimelineSettings(new LinkedHashMap<>());
    }

    /**
     * Settings from text, e.g. a properties file or command-line options, keyed by setting name.
     * Unknown {@code timeline.*} names are an error (a typo must not silently mean the default).
     */
    public static TimelineSettings fromMap(Map<String, String> text) {
        TimelineSettings settings = defaults();
        for (Map.Entry<String, String> e : text.entrySet()) {
            Setting<?> s = ALL.get(e.getKey());
            if (s == null) {
                if (e.getKey().startsWith("timeline.")) {
                    throw new IllegalArgumentException("unknown setting " + e.getKey() + "; known: " + ALL.keySet());
                }
                continue;
            }
            settings = settings.withParsed(s, e.getValue());
        }
        return settings;
    }

    private static String topicNameProblem(String name) {
        return name.matches("[A-Za-z0-9._-]{1,249}") ? null : "must be a Kafka topic name (letters, digits, '.', '_', '-')";
    }

    private <T> TimelineSettings withParsed(Setting<T> s, String text) {
        return with(s, s.parse(text, "the timeline settings"));
    }

    /** A copy with {@code setting} set to {@code value}; throws when the value fails its check. */
    public <T> TimelineSettings with(Setting<T> setting, T value) {
        Map<Setting<?>, Object> copy = new LinkedHashMap<>(values);
        copy.put(setting, setting.check(value));
        return new TimelineSettings(copy, kafkaClient);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        return (T) values.getOrDefault(setting, setting.defaultValue());
    }

    public String applicationId() {
        return get(APPLICATION_ID);
    }

    public int maxTimelineEntries() {
        return get(MAX_TIMELINE_ENTRIES);
    }

    public Duration timelineEmitInterval() {
        return get(TIMELINE_EMIT_INTERVAL);
    }

    public Duration maxFutureSkew() {
        return get(MAX_FUTURE_SKEW);
    }

    public Duration unresolvedTimeout() {
        return get(UNRESOLVED_TIMEOUT);
    }

    public int recordBudget() {
        return get(RECORD_BUDGET);
    }

    public int maxRecordBytes() {
        return get(MAX_RECORD_BYTES);
    }

    public int threadMaxRestarts() {
        return get(THREAD_MAX_RESTARTS);
    }

    public Duration threadRestartWindow() {
        return get(THREAD_RESTART_WINDOW);
    }

    public String deadLetterTopic() {
        return get(DEAD_LETTER_TOPIC);
    }

    public String timelinesTopic() {
        return get(TIMELINES_TOPIC);
    }

    public String changesTopic() {
        return get(CHANGES_TOPIC);
    }

    public String mergeMovesTopic() {
        return get(MERGE_MOVES_TOPIC);
    }

    public String applicationServer() {
        return get(APPLICATION_SERVER);
    }

    /**
     * The Kafka Streams configuration: these settings plus the error handlers that send poison
     * pills to the dead-letter topic (KIP-1034's {@code errors.dead.letter.queue.topic.name} names
     * it; our handlers build the records with CareTrail's headers).
     */
    public Properties toStreamsProperties() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, get(APPLICATION_ID));
        p.putAll(kafkaClient().config());
        p.put(StreamsConfig.STATE_DIR_CONFIG, get(STATE_DIR).toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, get(PROCESSING_GUARANTEE));
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, get(NUM_STANDBY_REPLICAS));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, get(NUM_STREAM_THREADS));
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, get(COMMIT_INTERVAL).toMillis());
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, get(DEAD_LETTER_TOPIC));
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Deserialization.class);
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Production.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        if (!get(APPLICATION_SERVER).isEmpty()) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, get(APPLICATION_SERVER));
        }
        if (!get(INTERNAL_TOPICS_REPLICATION).isEmpty()) {
            org.caretrail.events.topic.Replication r = org.caretrail.events.topic.Replication.parse(
                    get(INTERNAL_TOPICS_REPLICATION));
            p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, r.factor());
            p.put(StreamsConfig.topicPrefix(org.apache.kafka.common.config.TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG),
                    Integer.toString(r.minInsyncReplicas()));
        }
        // read every event from the start of the topics when the application id is new
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG),
                org.caretrail.events.kafka.DurableProducer.compression());
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
        p.put(BoundedRocksDbMemory.TOTAL_BYTES_CONFIG, get(ROCKSDB_MEMORY));
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, get(CACHE_BYTES));
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), PRODUCER_MAX_REQUEST_SIZE);
        return p;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TimelineSettings{");
        for (Setting<?> s : ALL.values()) {
            sb.append(s.name()).append('=').append(get(s)).append(", ");
        }
        return sb.replace(sb.length() - 2, sb.length(), "}").toString();
    }
}
