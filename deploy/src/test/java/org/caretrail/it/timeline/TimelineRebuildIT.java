package org.caretrail.it.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.TopicsApplier;
import java.time.Instant;
import java.util.UUID;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationProfile;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineRebuild;
import org.caretrail.timeline.TimelineSettings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The documented rebuild (consumers/README.md, "Rebuilding every timeline", side by side): the live
 * stream processor builds timelines from a realistic population while it is being published
 * (duplicates, updates, cancellations, late events, hospital numbers linked later); then a second
 * processor with a new application id, its own state and its own output topics reads every retained
 * event topic from the start. Per NHS number its timelines equal the live ones (summary, entries,
 * truncated; not updatedAt), every entry its changes leave current is left current by the same event
 * live (the way there may differ: see consumers/README.md), and the live output topics are not written
 * by it.
 */
@Tag("integration")
class TimelineRebuildIT {

    private static final Logger LOG = LoggerFactory.getLogger(TimelineRebuildIT.class);
    private static final int PATIENTS = 300;
    private static final Duration CATCH_UP = Duration.ofMinutes(4);

    @Test
    void aSideBySideRebuildGivesEveryPatientTheLiveTimeline() throws Exception {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            String bootstrap = broker.bootstrapServers();
            Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
            PopulationSimulator simulator = new PopulationSimulator(4242, PATIENTS, Clock.systemUTC(),
                    SimulationProfile.REALISTIC);
            List<SpecificRecord> events = withCorrections(simulator.events().toList(), simulator);
            assertThat(events).as("a realistic population's events").hasSizeGreaterThan(PATIENTS * 5);
            LOG.info("publishing {} events: {}", events.size(), events.stream().collect(Collectors.groupingBy(
                    e -> CareEvents.header(e).getAction(), java.util.TreeMap::new, Collectors.counting())));

            TimelineSettings live = TimelineSettings.defaults()
                    .with(TimelineSettings.APPLICATION_ID, "it-rebuild-live")
                    .with(TimelineSettings.BOOTSTRAP_SERVERS, bootstrap)
                    .with(TimelineSettings.STATE_DIR, Files.createTempDirectory(Path.of("target"), "rebuild-live-"))
                    .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ofMillis(200));
            TimelineSettings rebuild = TimelineRebuild.settings(live, "it-rebuild-v2", ".rebuild")
                    .with(TimelineSettings.STATE_DIR, Files.createTempDirectory(Path.of("target"), "rebuild-v2-"));
            assertThat(rebuild.timelinesTopic()).isEqualTo("care.timelines.rebuild");
            assertThat(rebuild.changesTopic()).isEqualTo("care.timeline-changes.rebuild");

            long started = System.nanoTime();
            try (CarePublisher publisher = CarePublisher.connect(bootstrap, topics, "it-rebuild-publisher");
                 TimelineApplication liveApp = new TimelineApplication(live, topics)) {
                // a first part before the live processor starts, the rest while it runs, in bursts
                int firstPart = events.size() / 4;
                publish(publisher, events.subList(0, firstPart));
                liveApp.start();
                assertThat(liveApp.awaitRunning(Duration.ofSeconds(90))).as("live RUNNING within 90 s").isTrue();
                int bursts = 4;
                int step = (events.size() - firstPart + bursts - 1) / bursts;
                for (int from = firstPart; from < events.size(); from += step) {
                    publish(publisher, events.subList(from, Math.min(events.size(), from + step)));
                    Thread.sleep(500);
                }
                awaitCaughtUp(admin, live);
                long liveMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

                Map<String, Timeline> liveTimelines = awaitStableTimelines(bootstrap, live, topics);
                assertRealistic(liveTimelines);
                List<TimelineChange> liveChanges = TimelineRebuild.readChanges(bootstrap, live.changesTopic(), topics);
                Map<TopicPartition, Long> liveEnds = endOffsets(admin, live);

                // the rebuild: new application id, own state directory, own output topics with the same specs
                List<TopicsApplier.Outcome> created = new TopicsApplier(bootstrap)
                        .apply(TimelineRebuild.outputTopics(rebuild));
                assertThat(created).extracting(TopicsApplier.Outcome::action).containsOnly("created");
                long rebuildStarted = System.nanoTime();
                try (TimelineApplication rebuildApp = new TimelineApplication(rebuild, topics)) {
                    rebuildApp.start();
                    assertThat(rebuildApp.awaitRunning(Duration.ofSeconds(90))).as("rebuild RUNNING").isTrue();
                    awaitCaughtUp(admin, rebuild);
                    long rebuildMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - rebuildStarted);

                    AtomicReference<TimelineRebuild.Comparison> last = new AtomicReference<>();
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                        TimelineRebuild.Comparison c = TimelineRebuild.compare(liveTimelines,
                                TimelineRebuild.readTimelines(bootstrap, rebuild.timelinesTopic(), topics));
                        last.set(c);
                        assertThat(c.identical()).as("rebuilt vs live: %s", c).isTrue();
                    });
                    TimelineRebuild.Comparison comparison = last.get();
                    assertThat(comparison.identicalPatients()).isEqualTo(liveTimelines.size());
                    // the comparison is not blind: one entry less for one patient is a difference
                    Map<String, Timeline> rebuilt = TimelineRebuild.readTimelines(bootstrap, rebuild.timelinesTopic(),
                            topics);
                    String someone = rebuilt.entrySet().stream().filter(e -> !e.getValue().getEntries().isEmpty())
                            .map(Map.Entry::getKey).findFirst().orElseThrow();
                    Timeline shortened = Timeline.newBuilder(rebuilt.get(someone)).build();
                    shortened.setEntries(new ArrayList<>(shortened.getEntries().subList(1,
                            shortened.getEntries().size())));
                    rebuilt.put(someone, shortened);
                    assertThat(TimelineRebuild.compare(liveTimelines, rebuilt).different()).containsExactly(someone);

                    List<TimelineChange> rebuiltChanges = TimelineRebuild.readChanges(bootstrap,
                            rebuild.changesTopic(), topics);
                    // the changes end in the same place for every entry; the way there can differ where the
                    // live processor saw an intermediate version the rebuild did not (e.g. v1 and v2 of an item
                    // known by a hospital number: live ADDED v1 when the link came, then UPDATED v2; a rebuild
                    // that reads the link after both: ADDED v2 only)
                    assertThat(rebuiltChanges).hasSizeGreaterThan(liveTimelines.size());
                    // (a withdrawn entry may be absent on one side: a cancellation read before what it
                    // cancels withdraws nothing that was shown)
                    assertThat(currentByLastChange(rebuiltChanges)).as("entries current by their last change, "
                            + "rebuilt vs live").isEqualTo(currentByLastChange(liveChanges)).hasSizeGreaterThan(
                            liveTimelines.size());
                    int differentIds = logDifferences(liveChanges, rebuiltChanges);

                    assertThat(endOffsets(admin, live)).as("the rebuild wrote nothing to the live outputs")
                            .isEqualTo(liveEnds);
                    LOG.info("REBUILD {} events, {} patients, {} timeline changes live, {} rebuilt, {} change ids "
                                    + "on one side only: live caught up {} ms after the first publish; rebuild caught "
                                    + "up in {} ms; {}", events.size(), liveTimelines.size(), liveChanges.size(),
                            rebuiltChanges.size(), differentIds, liveMs, rebuildMs, comparison);
                }
            }
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * The simulated stream plus, for every tenth patient, an A&E attendance that is corrected: sent,
     * sent again (duplicate), updated (version 2), and for half of them cancelled (version 3), the
     * cancellation sometimes arriving before the update. Spread through the stream so that some of
     * them reach the live processor in different bursts.
     */
    private static List<SpecificRecord> withCorrections(List<SpecificRecord> simulated, PopulationSimulator simulator) {
        List<SpecificRecord> out = new ArrayList<>(simulated);
        Instant now = simulator.now();
        for (int i = 0; i < PATIENTS; i += 10) {
            String nhs = simulator.patient(i).nhsNumber().value();
            Instant at = now.minus(Duration.ofDays(3 + i % 20));
            String subject = "it-rebuild-att-" + i;
            Attendance sent = attendance(nhs, subject, Action.NEW, 1, at, "Walk-in");
            Attendance updated = attendance(nhs, subject, Action.UPDATE, 2, at, "Ambulance");
            Attendance cancelled = attendance(nhs, subject, Action.CANCEL, 3, at, "Ambulance");
            int spot = (int) ((long) out.size() * i / PATIENTS);
            List<SpecificRecord> correction = new ArrayList<>(List.of(sent, sent, updated));
            if (i % 20 == 0) {
                correction.add(i % 40 == 0 ? correction.size() : 2, cancelled);
            }
            for (int k = 0; k < correction.size(); k++) {
                out.add(Math.min(out.size(), spot + k * (out.size() / 7)), correction.get(k));
            }
        }
        return out;
    }

    private static Attendance attendance(String nhs, String subject, Action action, long version, Instant at,
            String arrival) {
        EventHeader header = EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setAction(action)
                .setSubjectId(subject)
                .setVersion(version)
                .setOccurredAt(at)
                .setRecordedAt(at.plus(Duration.ofMinutes(5 * version)))
                .setSource(new Source("RJ1", "Rebuild Test Trust", ProviderKind.ACUTE, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL)
                .build();
        return Attendance.newBuilder().setHeader(header).setDepartment("ED").setArrivalMode(arrival).build();
    }

    private static void publish(CarePublisher publisher, Collection<SpecificRecord> events) throws Exception {
        List<CompletableFuture<?>> sent = new ArrayList<>(publisher.publishAll(events));
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
    }

    private static void awaitCaughtUp(Admin admin, TimelineSettings settings) {
        await().atMost(CATCH_UP).pollInterval(Duration.ofSeconds(1))
                .until(() -> TimelineRebuild.lag(admin, settings), lag -> lag == 0);
    }

    /** care.timelines is written every emit interval: read it until two reads a few seconds apart agree. */
    private static Map<String, Timeline> awaitStableTimelines(String bootstrap, TimelineSettings settings,
            Topics topics) {
        AtomicReference<Map<String, Timeline>> previous = new AtomicReference<>(Map.of());
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(3)).until(() -> {
            Map<String, Timeline> now = TimelineRebuild.readTimelines(bootstrap, settings.timelinesTopic(), topics);
            Map<String, Timeline> before = previous.getAndSet(now);
            return before.size() == now.size() && TimelineRebuild.compare(before, now).identical() ? now : null;
        }, m -> m != null && !m.isEmpty());
    }

    /** The live timelines are not trivially equal: many patients, updates, cancellations, linked events. */
    private static void assertRealistic(Map<String, Timeline> timelines) {
        assertThat(timelines.size()).as("patients with a timeline").isGreaterThan(PATIENTS * 9 / 10);
        long entries = timelines.values().stream().mapToLong(t -> t.getSummary().getTotalEntries()).sum();
        long withdrawn = timelines.values().stream().mapToLong(t -> t.getSummary().getWithdrawnEntries()).sum();
        long updated = timelines.values().stream().flatMap(t -> t.getEntries().stream())
                .filter(e -> e.getVersion() > 1 || e.getAction() == Action.UPDATE).count();
        long linked = timelines.values().stream().flatMap(t -> t.getEntries().stream())
                .filter(e -> e.getLocalId() != null && e.getStatus() == EntryStatus.CURRENT).count();
        LOG.info("live timelines: {} patients, {} entries, {} withdrawn, {} updated, {} from local ids",
                timelines.size(), entries, withdrawn, updated, linked);
        assertThat(entries).isGreaterThan(PATIENTS * 3L);
        assertThat(withdrawn).as("cancelled entries").isPositive();
        assertThat(updated).as("updated entries").isPositive();
        assertThat(linked).as("entries placed through an identity link").isPositive();
    }

    /** Per patient and entry id whose last change leaves it CURRENT: that change's event id. */
    private static Map<String, String> currentByLastChange(List<TimelineChange> changes) {
        Map<String, TimelineChange> last = new HashMap<>();
        changes.forEach(c -> last.put(c.getNhsNumber() + "|" + c.getEntry().getEntryId(), c));
        Map<String, String> current = new HashMap<>();
        last.forEach((entry, c) -> {
            if (c.getEntry().getStatus() == EntryStatus.CURRENT) {
                current.put(entry, c.getEntry().getEventId());
            }
        });
        return current;
    }

    /** Logs (up to 8 of) the entries whose change ids differ; returns how many change ids differ. */
    private static int logDifferences(List<TimelineChange> live, List<TimelineChange> rebuilt) {
        Map<String, Long> l = countsById(live);
        Map<String, Long> r = countsById(rebuilt);
        Set<String> entries = new java.util.TreeSet<>(); // change ids on one side only (or counted differently)
        l.forEach((id, n) -> { if (!n.equals(r.get(id))) entries.add(id); });
        r.forEach((id, n) -> { if (!n.equals(l.get(id))) entries.add(id); });
        Set<String> entryIds = new java.util.TreeSet<>();
        for (TimelineChange c : live) {
            if (entries.contains(c.getChangeId())) entryIds.add(c.getEntry().getEntryId());
        }
        for (TimelineChange c : rebuilt) {
            if (entries.contains(c.getChangeId())) entryIds.add(c.getEntry().getEntryId());
        }
        LOG.info("DIFF {} change ids differ, {} entries", entries.size(), entryIds.size());
        entryIds.stream().limit(8).forEach(entryId -> {
            LOG.info("DIFF entry {}\n  live:    {}\n  rebuilt: {}", entryId, describe(live, entryId),
                    describe(rebuilt, entryId));
        });
        return entries.size();
    }

    private static List<String> describe(List<TimelineChange> changes, String entryId) {
        return changes.stream().filter(c -> c.getEntry().getEntryId().equals(entryId))
                .map(c -> c.getKind() + " " + c.getEntry().getAction() + " v" + c.getEntry().getVersion() + " "
                        + c.getEntry().getType() + " " + c.getEntry().getStatus() + " local=" + c.getEntry().getLocalId()
                        + " ev=" + c.getEntry().getEventId().substring(0, 8))
                .toList();
    }

    private static Map<String, Long> countsById(List<TimelineChange> changes) {
        return changes.stream().collect(Collectors.groupingBy(TimelineChange::getChangeId, Collectors.counting()));
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, TimelineSettings settings) throws Exception {
        Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
        for (String topic : List.of(settings.timelinesTopic(), settings.changesTopic())) {
            admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
                    .forEach(p -> wanted.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        }
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(wanted).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }
}
