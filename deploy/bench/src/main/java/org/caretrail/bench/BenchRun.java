package org.caretrail.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The measurements of one contender on the run's broker: the backlog (events/s through the job, broker writes
 * per event, resident memory) and paced latency (send → output visible to a read_committed consumer).
 */
final class BenchRun {

    /** A backlog run's figures. */
    record Backlog(String contender, int instances, long events, double seconds, double perSecond,
            Map<String, Long> writes, long writesTotal, long peakRssKb) {
        double writesPerEvent() {
            return writesTotal / (double) events;
        }
    }

    /** A paced run's figures. */
    record Paced(String contender, double rate, Percentiles latency, long sent, long seen) {
    }

    private final BenchBroker broker;
    private final Contender.Context context;
    private final PrintWriter out;
    /** Seeds of patients no batch of this run had yet (made on the first paced phase, after the backlog). */
    private FreshPatients fresh;
    private static final int PROBE_PATIENTS = 3;

    BenchRun(BenchBroker broker, Contender.Context context, PrintWriter out) {
        this.broker = broker;
        this.context = context;
        this.out = out;
    }

    /**
     * Starts the contender on the events already in the topics (a new group: it reads them all), waits until its
     * output accounts for {@code events} of them, then stops it cleanly. Events/s is measured from its first output
     * to the output that accounts for the last event; the broker's writes from before its start to after its stop.
     */
    Backlog backlog(Contender c, int instances, long events, Duration timeout) throws Exception {
        try (Admin admin = broker.admin()) {
            EndOffsets before = EndOffsets.of(admin);
            long peakRss = 0;
            double seconds;
            try (OutputWatcher watcher = new OutputWatcher(broker.bootstrapServers(), c.outputTopic(), c.output())) {
                List<ChildJvm> jvms = c.start(context, instances);
                try {
                    long deadline = System.nanoTime() + timeout.toNanos();
                    long lastReport = System.nanoTime();
                    while (watcher.accounted() < events) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException(c.name() + ": only " + watcher.accounted() + " of " + events
                                    + " events through within " + timeout + "; see " + jvms.get(0).log());
                        }
                        jvms.forEach(ChildJvm::requireAlive);
                        Thread.sleep(200);
                        for (ChildJvm j : jvms) {
                            peakRss = Math.max(peakRss, j.rssKb());
                        }
                        if (System.nanoTime() - lastReport > 5_000_000_000L) {
                            lastReport = System.nanoTime();
                            progress("%s: %,d of %,d events", c.name(), watcher.accounted(), events);
                        }
                    }
                    seconds = (watcher.lastNanos() - watcher.firstNanos()) / 1e9;
                    Thread.sleep(2_000); // the last care.timelines records (emitted once a second) and commits
                } finally {
                    jvms.forEach(ChildJvm::close);
                }
            }
            Map<String, Long> writes = new java.util.TreeMap<>(EndOffsets.of(admin).since(before));
            c.inputs().forEach(writes::remove);
            long total = writes.values().stream().mapToLong(Long::longValue).sum();
            return new Backlog(c.name(), instances, events, seconds, events / seconds, writes, total, peakRss);
        }
    }

    /**
     * Starts the contender (it continues from where it stopped), waits until it has caught up with what was
     * written since, warms it up at the first rate, then for each rate sends {@code seconds} of fresh events at
     * that rate and times each from its send until its output is visible.
     */
    List<Paced> paced(Contender c, List<Double> rates, int seconds, int warmupSeconds, long seed, int patients)
            throws Exception {
        List<Paced> results = new ArrayList<>();
        try (OutputWatcher watcher = new OutputWatcher(broker.bootstrapServers(), c.outputTopic(), c.output())) {
            List<ChildJvm> jvms = c.start(context, 1);
            try {
                awaitCaughtUp(c, jvms, Duration.ofMinutes(15));
                awaitAnswering(c, watcher, jvms, seed, patients, Duration.ofMinutes(10));
                if (warmupSeconds > 0) {
                    progress("%s: warming up at %,.0f events/s for %d s", c.name(), rates.get(0), warmupSeconds);
                    send(rates.get(0), warmupSeconds, seed, patients, watcher);
                }
                long s = seed;
                for (double rate : rates) {
                    progress("%s: %,.0f events/s for %d s", c.name(), rate, seconds);
                    results.add(send(c.name(), rate, seconds, ++s, patients, watcher, jvms));
                }
            } finally {
                jvms.forEach(ChildJvm::close);
            }
        }
        return results;
    }

    private synchronized long freshSeed(long seed, int backlogPatients, int patients) {
        if (fresh == null) {
            fresh = new FreshPatients(seed, backlogPatients);
        }
        return fresh.seedFor(patients);
    }

    /**
     * The patients a paced phase's events are spread over: the backlog's, or more when the phase needs more events
     * than they have (the simulator's patients each have a finite stretch of care, about six events in its
     * BENCHMARK profile; a phase of 2,500 events/s for 30 s needs 75,000).
     */
    static int pacedPatients(int patients, double rate, int seconds) {
        return Math.max(patients, (int) Math.ceil(rate * seconds / 4));
    }

    private void send(double rate, int seconds, long seed, int patients, OutputWatcher watcher) {
        List<SyntheticEvents.Encoded> events = SyntheticEvents.make(broker.topics(),
                freshSeed(seed, patients, pacedPatients(patients, rate, seconds)), pacedPatients(patients, rate, seconds),
                (int) (rate * seconds));
        watcher.onArrival((id, t) -> { });
        SyntheticEvents.publish(broker.bootstrapServers(), events, rate, (e, t) -> { });
    }

    private Paced send(String name, double rate, int seconds, long seed, int patients, OutputWatcher watcher,
            List<ChildJvm> jvms) throws InterruptedException {
        List<SyntheticEvents.Encoded> events = SyntheticEvents.make(broker.topics(),
                freshSeed(seed, patients, pacedPatients(patients, rate, seconds)), pacedPatients(patients, rate, seconds),
                (int) (rate * seconds));
        Map<String, Long> sentAt = new ConcurrentHashMap<>(events.size() * 2);
        long[] latencies = new long[events.size()];
        AtomicInteger seen = new AtomicInteger();
        watcher.onArrival((id, t) -> {
            Long sent = sentAt.remove(id);
            if (sent != null) {
                int i = seen.getAndIncrement();
                if (i < latencies.length) {
                    latencies[i] = t - sent;
                }
            }
        });
        SyntheticEvents.publish(broker.bootstrapServers(), events, rate, (e, t) -> sentAt.put(e.eventId(), t));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!sentAt.isEmpty() && System.nanoTime() < deadline) {
            jvms.forEach(ChildJvm::requireAlive);
            Thread.sleep(100);
        }
        watcher.onArrival((id, t) -> { });
        int n = Math.min(seen.get(), latencies.length);
        return new Paced(name, rate, Percentiles.of(latencies, n), events.size(), n);
    }

    /**
     * Waits until the contender answers: a few probe events are sent, once a second, until one shows on its output
     * (its committed offsets say nothing while it is still starting up).
     */
    private void awaitAnswering(Contender c, OutputWatcher watcher, List<ChildJvm> jvms, long seed, int patients,
            Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long before = watcher.accounted();
        while (watcher.accounted() == before) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(c.name() + " did not answer within " + timeout);
            }
            jvms.forEach(ChildJvm::requireAlive);
            SyntheticEvents.publish(broker.bootstrapServers(),
                    SyntheticEvents.make(broker.topics(), freshSeed(seed, patients, PROBE_PATIENTS), PROBE_PATIENTS, 3));
            Thread.sleep(1000);
        }
    }

    /** Waits until the contender's group has committed the end of every partition it reads. */
    void awaitCaughtUp(Contender c, List<ChildJvm> jvms, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = broker.admin()) {
            long lag;
            while ((lag = lag(admin, c)) > 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(c.name() + " did not catch up within " + timeout + " (lag " + lag
                            + ")");
                }
                jvms.forEach(ChildJvm::requireAlive);
                Thread.sleep(500);
            }
        }
    }

    static long lag(Admin admin, Contender c) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(c.group())
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
        admin.describeTopics(c.inputs()).allTopicNames().get(30, TimeUnit.SECONDS).values()
                .forEach(d -> d.partitions().forEach(p -> ask.put(new TopicPartition(d.name(), p.partition()),
                        OffsetSpec.latest())));
        long lag = 0;
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e
                : admin.listOffsets(ask).all().get(30, TimeUnit.SECONDS).entrySet()) {
            OffsetAndMetadata at = committed.get(e.getKey());
            lag += e.getValue().offset() - (at == null ? 0 : at.offset());
        }
        return lag;
    }

    private void progress(String format, Object... args) {
        out.printf("  " + format + "%n", args);
        out.flush();
    }

    static long directorySize(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
