package org.caretrail.consumers.replay;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Consent;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analysts' replay: reads care event topics (and/or {@code care.timeline-changes}) between two
 * instants, decodes each record through the schema registry, optionally leaves out patients with a
 * national data opt-out and pseudonymises, and writes JSON lines, CSV or Parquet. RESTRICTED records
 * are withheld (counted, not written) unless the operator asks for them, and the output is
 * pseudonymised unless the operator asks for identifiers ({@link ReplayOptions}).
 *
 * <p>It is read-only towards the platform: its consumers have no {@code group.id} (partitions are
 * assigned, never subscribed), commit nothing and it has no producer. Records are read up to each
 * partition's end offset as it was when the replay started; the window {@code [from, to)} applies to
 * the Kafka record timestamp: each partition starts at {@code offsetsForTimes(from)}, and records
 * whose timestamp is outside the window (timestamps need not grow with offsets) are counted, not
 * written.
 *
 * <p>Decoding, the opt-out and sensitivity checks and pseudonymisation (the costly part) run on
 * {@link #THREADS} threads: the records of each poll, from every partition, are shared out and their
 * rows then written in the order they were read, so a replay writes what a one-thread replay
 * ({@link #withThreads withThreads(1)}) writes for the same reads, with the same counts.
 *
 * <pre>{@code
 * Replay replay = new Replay(Map.of("bootstrap.servers", "localhost:9092"), topics);
 * ReplaySummary summary = replay.run(ReplayOptions.of(List.of("care.admissions"), from, to,
 *         ReplayFormat.PARQUET, Path.of("admissions.parquet")), progress -> bar.update(progress.fraction()));
 * System.out.print(summary.toText());
 * }</pre>
 */
public final class Replay {

    private static final Logger LOG = LoggerFactory.getLogger(Replay.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final long PROGRESS_EVERY = 1_000;

    /** Threads that decode and pseudonymise records by default: the machine's cores, at most 4. */
    public static final int THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    /** A poll with fewer records than this is handled on the reading thread (sharing it out costs more). */
    private static final int SHARED_FROM = 64;

    private final Map<String, Object> kafka;
    private final Topics topics;
    private final int threads;

    /** @param kafka client settings (at least {@code bootstrap.servers}); any {@code group.id} is ignored */
    public Replay(Map<String, Object> kafka, Topics topics) {
        this(kafka, topics, THREADS);
    }

    private Replay(Map<String, Object> kafka, Topics topics, int threads) {
        AvroTrust.install();
        this.kafka = Map.copyOf(kafka);
        this.topics = topics;
        this.threads = threads;
    }

    /** This replay with {@code threads} threads decoding and pseudonymising (1: all on the reading thread). */
    public Replay withThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        return new Replay(kafka, topics, threads);
    }

    public ReplaySummary run(ReplayOptions options, Consumer<ReplayProgress> progress) throws IOException {
        options.checkRelease();
        long started = System.nanoTime();
        Instant to = options.to() == null ? Instant.now() : options.to();
        Set<String> optedOut = options.excludeOptedOut() ? optedOutPatients() : Set.of();
        Pseudonymiser pseudonymiser = options.pseudonymiseKey() == null ? null
                : new Pseudonymiser(options.pseudonymiseKey());
        Counts counts = new Counts();
        ExecutorService pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, new ReplayThreads());
        try (KafkaConsumer<byte[], byte[]> consumer = newConsumer();
                ReplayWriter writer = ReplayWriter.open(options.format(), options.out())) {
            Map<TopicPartition, Long> ends = seek(consumer, options.topics(), options.from());
            long total = ends.entrySet().stream().mapToLong(e -> e.getValue() - consumer.position(e.getKey())).sum();
            Set<TopicPartition> remaining = new HashSet<>(ends.keySet());
            while (!remaining.isEmpty()) {
                List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    Long end = ends.get(partition);
                    if (end != null && record.offset() < end) {
                        batch.add(record);
                    }
                }
                Outcome[] outcomes = decide(batch, options, to, optedOut, pseudonymiser, pool);
                for (int i = 0; i < outcomes.length; i++) {
                    counts.read++;
                    write(batch.get(i), outcomes[i], writer, counts);
                    if (counts.read % PROGRESS_EVERY == 0) {
                        progress.accept(new ReplayProgress(counts.read, total, counts.written));
                    }
                }
                remaining.removeIf(p -> consumer.position(p) >= ends.get(p));
                List<TopicPartition> done = remaining.isEmpty() ? List.of()
                        : consumer.assignment().stream().filter(p -> !remaining.contains(p)).toList();
                if (!done.isEmpty()) {
                    consumer.pause(done);
                }
            }
            writer.finish();
            progress.accept(new ReplayProgress(counts.read, total, counts.written));
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
        ReplaySummary summary = new ReplaySummary(counts.read, counts.written, counts.outsideWindow, counts.optedOut,
                counts.restrictedWithheld, counts.undecodable, counts.byEventType, counts.byProviderKind,
                Duration.ofNanos(System.nanoTime() - started), pseudonymiser == null ? "IDENTIFIABLE" : "pseudonymised");
        LOG.info("Replay of {} to {} done: {} written", options.topics(), options.out(), summary.written());
        return summary;
    }

    private static final class Counts {
        long read;
        long written;
        long outsideWindow;
        long optedOut;
        long restrictedWithheld;
        long undecodable;
        final Map<String, Long> byEventType = new HashMap<>();
        final Map<String, Long> byProviderKind = new HashMap<>();
    }

    /** What becomes of one record: a row to write, or the count it goes to. */
    private record Outcome(Skip skip, ReplayRow row, ObjectNode line) {
        static Outcome skipped(Skip skip) {
            return new Outcome(skip, null, null);
        }
    }

    private enum Skip { OUTSIDE_WINDOW, NO_VALUE, UNDECODABLE, OPTED_OUT, RESTRICTED }

    /** The outcome of each record of {@code batch}, in order; shared out over the pool when there is one. */
    private Outcome[] decide(List<ConsumerRecord<byte[], byte[]>> batch, ReplayOptions options, Instant to,
            Set<String> optedOut, Pseudonymiser pseudonymiser, ExecutorService pool) {
        Outcome[] outcomes = new Outcome[batch.size()];
        if (pool == null || batch.size() < SHARED_FROM) {
            for (int i = 0; i < outcomes.length; i++) {
                outcomes[i] = decide(batch.get(i), options, to, optedOut, pseudonymiser);
            }
            return outcomes;
        }
        int share = (batch.size() + threads - 1) / threads;
        List<Future<?>> parts = new ArrayList<>();
        for (int first = 0; first < batch.size(); first += share) {
            int from = first;
            int until = Math.min(batch.size(), first + share);
            parts.add(pool.submit(() -> {
                for (int i = from; i < until; i++) {
                    outcomes[i] = decide(batch.get(i), options, to, optedOut, pseudonymiser);
                }
            }));
        }
        try {
            for (Future<?> part : parts) {
                part.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("replay interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("replay failed: " + e.getCause(), e.getCause());
        }
        return outcomes;
    }

    /** Decodes, filters and pseudonymises one record; safe on any thread (writes nothing, counts nothing). */
    private Outcome decide(ConsumerRecord<byte[], byte[]> raw, ReplayOptions options, Instant to,
            Set<String> optedOut, Pseudonymiser pseudonymiser) {
        if (raw.timestamp() >= to.toEpochMilli() || raw.timestamp() < options.from().toEpochMilli()) {
            return Outcome.skipped(Skip.OUTSIDE_WINDOW);
        }
        if (raw.value() == null) {
            return Outcome.skipped(Skip.NO_VALUE);
        }
        SpecificRecord record;
        try {
            record = deserializer(raw.topic()).deserialize(raw.topic(), raw.value());
        } catch (RuntimeException e) {
            LOG.warn("Cannot decode {} partition {} offset {}: {}", raw.topic(), raw.partition(), raw.offset(),
                    e.getMessage());
            return Outcome.skipped(Skip.UNDECODABLE);
        }
        if (!optedOut.isEmpty() && patients(record).stream().anyMatch(optedOut::contains)) {
            return Outcome.skipped(Skip.OPTED_OUT);
        }
        if (sensitivity(record) == Sensitivity.RESTRICTED && !options.includeRestricted()) {
            // not a word of it: a RESTRICTED record's content goes only where the operator said
            return Outcome.skipped(Skip.RESTRICTED);
        }
        ObjectNode line = ReplayRow.line(record);
        if (pseudonymiser != null) {
            pseudonymiser.apply(line, record.getSchema());
        }
        return new Outcome(null, ReplayRow.of(raw.topic(), raw.partition(), raw.offset(),
                Instant.ofEpochMilli(raw.timestamp()), line), line);
    }

    /** Writes a record's row or counts why it was not written; on the reading thread, in the order read. */
    private static void write(ConsumerRecord<byte[], byte[]> raw, Outcome outcome, ReplayWriter writer, Counts counts)
            throws IOException {
        if (outcome.skip() != null) {
            switch (outcome.skip()) {
                case OUTSIDE_WINDOW -> counts.outsideWindow++;
                case UNDECODABLE -> counts.undecodable++;
                case OPTED_OUT -> counts.optedOut++;
                case RESTRICTED -> counts.restrictedWithheld++;
                case NO_VALUE -> {
                    // a tombstone: nothing to write, nothing to count (as ever)
                }
                default -> throw new IllegalStateException("unknown outcome " + outcome.skip() + " at " + raw.offset());
            }
            return;
        }
        ReplayRow row = outcome.row();
        writer.write(row, outcome.line());
        counts.written++;
        counts.byEventType.merge(row.eventType(), 1L, Long::sum);
        counts.byProviderKind.merge(row.providerKind(), 1L, Long::sum);
    }

    /** Daemon threads named after the replay. */
    private static final class ReplayThreads implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger ids = new AtomicInteger();

        @Override
        public Thread newThread(Runnable runnable) {
            Thread thread = new Thread(runnable, "caretrail-replay-" + ids.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }

    private final Map<String, Deserializer<? extends SpecificRecord>> deserializers =
            new java.util.concurrent.ConcurrentHashMap<>();

    private Deserializer<? extends SpecificRecord> deserializer(String topic) {
        return deserializers.computeIfAbsent(topic, t -> CareTopics.TIMELINE_CHANGES.equals(t)
                ? topics.timelineChanges().valueSerde().deserializer()
                : topics.events(CareEventType.byTopic(t).orElseThrow()).valueSerde().deserializer());
    }

    private static Sensitivity sensitivity(SpecificRecord record) {
        return record instanceof TimelineChange change ? change.getEntry().getSensitivity()
                : CareEvents.header(record).getSensitivity();
    }

    /** The patient keys a record is about (NHS number and/or {@code system|value}). */
    static Set<String> patients(SpecificRecord record) {
        Set<String> keys = new HashSet<>();
        if (record instanceof TimelineChange change) {
            keys.add(change.getNhsNumber());
            if (change.getEntry().getLocalId() != null) {
                keys.add(CareEvents.localKey(change.getEntry().getLocalId()));
            }
            return keys;
        }
        var patient = CareEvents.header(record).getPatient();
        CareEvents.nhsNumber(record).ifPresent(keys::add);
        if (patient.getLocalId() != null) {
            keys.add(CareEvents.localKey(patient.getLocalId()));
        }
        if (record instanceof PatientIdentity identity) {
            keys.add(identity.getNhsNumber());
            if (identity.getSupersededNhsNumber() != null) {
                keys.add(identity.getSupersededNhsNumber());
            }
        }
        return keys;
    }

    /**
     * The patients to leave out: every identifier whose latest consent on {@code care.consents} has
     * the national data opt-out, together with every identifier {@code care.patient-identities} says
     * is the same person (local identifiers linked to an opted-out NHS number, NHS numbers merged into
     * or from one), so an opt-out recorded under one of a person's identifiers covers them all.
     */
    Set<String> optedOutPatients() {
        String topic = CareEventType.CONSENT.topic();
        Deserializer<? extends SpecificRecord> consents = topics.events(CareEventType.CONSENT).valueSerde()
                .deserializer();
        Map<String, Boolean> latest = new HashMap<>();
        readToEnd(topic, record -> {
            if (record.value() == null) {
                if (record.key() != null) {
                    latest.remove(new String(record.key(), java.nio.charset.StandardCharsets.UTF_8));
                }
                return;
            }
            try {
                Consent consent = (Consent) consents.deserialize(topic, record.value());
                for (String patient : patients(consent)) {
                    latest.put(patient, consent.getNationalDataOptOut());
                }
            } catch (RuntimeException e) {
                LOG.warn("Cannot decode consent at {} partition {} offset {}: {}", topic, record.partition(),
                        record.offset(), e.getMessage());
            }
        });
        Set<String> optedOut = new HashSet<>();
        latest.forEach((patient, out) -> {
            if (out) {
                optedOut.add(patient);
            }
        });
        if (optedOut.isEmpty()) {
            LOG.info("no patient has a national data opt-out");
            return optedOut;
        }
        Set<String> all = samePeople().closure(optedOut);
        LOG.info("{} patient identifier(s) with a national data opt-out, {} with their linked and merged identifiers",
                optedOut.size(), all.size());
        return all;
    }

    /** Who is the same person, from every link and merge on {@code care.patient-identities}. */
    IdentityGroups samePeople() {
        String topic = CareEventType.PATIENT_IDENTITY.topic();
        Deserializer<? extends SpecificRecord> identities = topics.events(CareEventType.PATIENT_IDENTITY).valueSerde()
                .deserializer();
        IdentityGroups groups = new IdentityGroups();
        readToEnd(topic, record -> {
            if (record.value() == null) {
                return;
            }
            try {
                PatientIdentity identity = (PatientIdentity) identities.deserialize(topic, record.value());
                Set<String> keys = patients(identity);
                if (identity.getLocalId() != null) {
                    keys.add(CareEvents.localKey(identity.getLocalId()));
                }
                groups.same(keys);
            } catch (RuntimeException e) {
                LOG.warn("Cannot decode identity at {} partition {} offset {}: {}", topic, record.partition(),
                        record.offset(), e.getMessage());
            }
        });
        return groups;
    }

    /** Reads every partition of {@code topic} from its start to its end as it is now. */
    private void readToEnd(String topic, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> consumer = newConsumer()) {
            Map<TopicPartition, Long> ends = seek(consumer, List.of(topic), Instant.EPOCH);
            Set<TopicPartition> remaining = new HashSet<>(ends.keySet());
            remaining.removeIf(p -> consumer.position(p) >= ends.get(p));
            while (!remaining.isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        each.accept(record);
                    }
                }
                remaining.removeIf(p -> consumer.position(p) >= ends.get(p));
            }
        }
    }

    private KafkaConsumer<byte[], byte[]> newConsumer() {
        Map<String, Object> config = new HashMap<>(kafka);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "caretrail-replay");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Assigns every partition of the topics, seeks to {@code from}; returns each partition's end offset now. */
    private static Map<TopicPartition, Long> seek(KafkaConsumer<byte[], byte[]> consumer, List<String> topicNames,
            Instant from) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topicNames) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist on the cluster");
            }
            infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        }
        consumer.assign(partitions);
        Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions));
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, from.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query);
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp start = starts.get(partition);
            if (start == null) {
                consumer.seek(partition, ends.get(partition));
            } else {
                consumer.seek(partition, start.offset());
            }
        }
        return ends;
    }
}
