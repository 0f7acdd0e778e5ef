package org.caretrail.timeline;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far behind the timeline is, as an operator asks it, measured from the broker's side (so it holds
 * whichever instance does the work, and while none does):
 * <ul>
 *   <li><b>lag</b>: for every partition the stream processor's group has committed (its input topics and
 *       its own repartition topics), the last stable offset minus the committed offset, summed: records
 *       written but not yet processed. Under exactly-once a partition written transactionally shows 1 for
 *       its commit marker; a partition the group has never committed is not counted yet.</li>
 *   <li><b>freshness</b>: seconds from the newest record time on {@code care.timeline-changes} (a change
 *       carries its input event's record time) to now: how old the newest thing a subscriber or a clinician
 *       can see is. It grows when nothing arrives, too: read it beside the lag.</li>
 * </ul>
 * Sampled every {@link #PERIOD} on its own thread, so a scrape never waits on Kafka; a failed sample keeps
 * the values unknown (NaN) rather than stale.
 */
final class TimelineProgress implements AutoCloseable {

    static final Duration PERIOD = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(TimelineProgress.class);

    private final Admin admin;
    private final String group;
    private final String changesTopic;
    private final Clock clock;
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "caretrail-timeline-progress");
        t.setDaemon(true);
        return t;
    });
    private volatile double lag = Double.NaN;
    private volatile long newestChange = -1;
    private volatile boolean sampled;

    TimelineProgress(TimelineSettings settings, Clock clock) {
        this.group = settings.applicationId();
        this.changesTopic = settings.get(TimelineSettings.CHANGES_TOPIC);
        this.clock = clock;
        this.admin = Admin.create(settings.kafkaClient().config(Map.of(
                AdminClientConfig.CLIENT_ID_CONFIG, group + "-progress",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 4000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4500)));
    }

    TimelineProgress start() {
        sampler.scheduleWithFixedDelay(this::sample, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Records written to the processor's inputs and not yet processed; NaN until known. */
    double lag() {
        return lag;
    }

    /** Seconds since the newest timeline change's time; NaN when no change was ever written or it is unknown. */
    double freshnessSeconds() {
        long newest = newestChange;
        return newest < 0 ? Double.NaN : Math.max(0, clock.millis() - newest) / 1000.0;
    }

    void sample() {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.keySet().forEach(p -> latest.put(p, OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = latest.isEmpty() ? Map.of()
                    : admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                            .all().get(5, TimeUnit.SECONDS);
            long behind = 0;
            for (Map.Entry<TopicPartition, OffsetAndMetadata> c : committed.entrySet()) {
                ListOffsetsResult.ListOffsetsResultInfo end = ends.get(c.getKey());
                if (end != null && c.getValue() != null) {
                    behind += Math.max(0, end.offset() - c.getValue().offset());
                }
            }
            lag = behind;
            List<TopicPartition> changes = admin.describeTopics(List.of(changesTopic)).allTopicNames()
                    .get(5, TimeUnit.SECONDS).get(changesTopic).partitions().stream()
                    .map(p -> new TopicPartition(changesTopic, p.partition())).toList();
            Map<TopicPartition, OffsetSpec> newest = new HashMap<>();
            changes.forEach(p -> newest.put(p, OffsetSpec.maxTimestamp()));
            long max = -1;
            for (ListOffsetsResult.ListOffsetsResultInfo info : admin.listOffsets(newest).all()
                    .get(5, TimeUnit.SECONDS).values()) {
                max = Math.max(max, info.timestamp());
            }
            newestChange = max;
            sampled = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) { // Kafka away or slow: unknown, said once per outage, tried again next period
            if (sampled) {
                LOG.warn("cannot measure the timeline's lag and freshness: {}", e.toString());
            }
            sampled = false;
            lag = Double.NaN;
            newestChange = -1;
        }
    }

    @Override
    public void close() {
        sampler.shutdownNow();
        admin.close(Duration.ofSeconds(2));
    }
}
