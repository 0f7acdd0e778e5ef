package org.caretrail.it.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.caretrail.it.timeline.TimelineFaultFixture.daysAgo;
import static org.caretrail.it.timeline.TimelineFaultFixture.header;
import static org.caretrail.it.timeline.TimelineFaultFixture.newPatient;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.json.ExampleEvents;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.timeline.TimelineHealth;
import org.caretrail.timeline.TimelineRebuild;
import org.caretrail.timeline.TimelineTopology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 item 1 (the stream processor's part of "poison records at every topic"), on the real broker and
 * registry, while the processor runs and the API is asked about another patient all along: at every input
 * topic of the timeline, a record that is not Avro, one with an unknown schema id, one over the size limits,
 * one with an invalid NHS number, and one whose NHS number is written with hyphens. The first four land in the
 * dead-letter topic with their reason; the hyphenated one on the right timeline; the pipeline carries on and
 * the API keeps answering.
 */
@Tag("integration")
@Tag("faults")
class TimelinePoisonRecordsIT {

    private static TimelineFaultFixture fx;

    @BeforeAll
    static void start() {
        fx = new TimelineFaultFixture();
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    private static String hyphenated(String nhs) {
        return nhs.substring(0, 3) + "-" + nhs.substring(3, 6) + "-" + nhs.substring(6);
    }

    /** The documented example of a type, as a fresh event about {@code nhs} (written as given). */
    private static SpecificRecord example(CareEventType type, String nhs, Instant at) {
        SpecificRecord e = ExampleEvents.parsed(type).event();
        e = SpecificData.get().deepCopy(e.getSchema(), e);
        EventHeader h = CareEvents.header(e);
        h.setEventId(UUID.randomUUID().toString());
        h.setSubjectId(type.jsonName() + "-" + UUID.randomUUID());
        h.setOccurredAt(at);
        h.setRecordedAt(at.plusSeconds(30));
        h.setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build());
        if (e instanceof PatientIdentity id) {
            id.setNhsNumber(nhs);
        }
        return e;
    }

    @Test
    void poisonAtEveryInputTopicIsDeadLetteredWithItsReasonWhileEveryoneElseIsServed() throws Exception {
        String bystander = newPatient();
        String hyphenPatient = newPatient();
        String badNhs = bystander.substring(0, 9) + ((bystander.charAt(9) - '0' + 1) % 10);
        Instant t0 = daysAgo(4);
        fx.send(example(CareEventType.ATTENDANCE, bystander, t0));

        try (TimelineFaultFixture.Running running = fx.start(fx.settings("it-poison"))) {
            await().atMost(Duration.ofSeconds(90)).until(() -> fx.page(running.url(bystander)),
                    p -> p != null && p.get("entries").size() == 1);
            // the bystander is asked about all along
            AtomicInteger answered = new AtomicInteger();
            List<Integer> failures = new ArrayList<>();
            Thread asker = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        int status = fx.get(running.url(bystander)).statusCode();
                        if (status == 200) {
                            answered.incrementAndGet();
                        } else {
                            synchronized (failures) {
                                failures.add(status);
                            }
                        }
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (Exception e) {
                        synchronized (failures) {
                            failures.add(-1);
                        }
                    }
                }
            }, "bystander-asker");
            asker.start();

            List<String> inputs = TimelineRebuild.inputTopics();
            int i = 0;
            for (String topic : inputs) {
                CareEventType type = CareEventType.byTopic(topic).orElseThrow();
                Instant at = t0.plusSeconds(60L * ++i);
                fx.sendBytes(topic, bystander, ("not avro on " + topic).getBytes(StandardCharsets.UTF_8), null);
                fx.sendBytes(topic, bystander, new byte[] {0, 0x7f, 0x7f, 0x7f, 0x7f, 1, 2, 3}, null);
                SpecificRecord overLimit = example(type, bystander, at);
                CareEvents.header(overLimit).setSubjectId("S".repeat(200));
                fx.sendBytes(topic, bystander, fx.bytes(overLimit), null);
                fx.sendBytes(topic, badNhs, fx.bytes(example(type, badNhs, at)), null);
                if (type == CareEventType.PATIENT_IDENTITY) {
                    // a hyphenated LINK, then an event known only by the hospital number it links
                    PatientIdentity link = (PatientIdentity) example(type, hyphenated(hyphenPatient), at);
                    LocalIdentifier mrn = new LocalIdentifier("RJ1-MRN", "M" + hyphenPatient);
                    link.setKind(IdentityKind.LINK);
                    link.setLocalId(mrn);
                    link.setSupersededNhsNumber(null);
                    fx.sendBytes(topic, "RJ1-MRN|M" + hyphenPatient, fx.bytes(link), null);
                    Attendance local = (Attendance) example(CareEventType.ATTENDANCE, hyphenPatient, at);
                    local.getHeader().setPatient(PatientRef.newBuilder().setLocalId(mrn).build());
                    fx.sendBytes(CareEventType.ATTENDANCE.topic(), "RJ1-MRN|M" + hyphenPatient, fx.bytes(local), null);
                } else {
                    fx.sendBytes(topic, hyphenated(hyphenPatient),
                            fx.bytes(example(type, hyphenated(hyphenPatient), at)), null);
                }
            }
            int timelineTypes = TimelineTopology.timelineEventTypes().size();
            // the hyphenated ones are on the ten-digit patient's timeline: one per timeline topic, and the
            // attendance placed through the hyphenated link
            JsonNode page = await().atMost(Duration.ofSeconds(120)).until(() -> fx.page(running.url(hyphenPatient)),
                    p -> p != null && p.path("summary").path("totalEntries").asInt() == timelineTypes + 1);
            assertThat(page.path("nhsNumber").asText()).isEqualTo(hyphenPatient);

            List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(CareTopics.DEAD_LETTER, 4 * inputs.size(),
                    r -> inputs.contains(header(r, CareTopics.HEADER_SOURCE_TOPIC)), Duration.ofSeconds(90));
            Map<String, List<String>> reasons = new TreeMap<>(dead.stream().collect(Collectors.groupingBy(
                    r -> header(r, CareTopics.HEADER_SOURCE_TOPIC),
                    Collectors.mapping(r -> header(r, CareTopics.HEADER_REASON), Collectors.toList()))));
            assertThat(reasons.keySet()).containsExactlyInAnyOrderElementsOf(inputs);
            reasons.forEach((topic, why) -> {
                assertThat(why).as(topic).hasSize(4);
                assertThat(why).as(topic).anySatisfy(r -> assertThat(r).contains("not a Confluent-framed Avro record"));
                assertThat(why).as(topic).anySatisfy(r -> assertThat(r).contains("unknown schema id"));
                assertThat(why).as(topic).anySatisfy(r -> assertThat(r)
                        .contains("header.subjectId is 200 characters long; the limit is 128"));
                assertThat(why).as(topic).anySatisfy(r -> assertThat(r).contains("Modulus 11"));
            });
            Set<String> offsets = new HashSet<>();
            dead.forEach(r -> offsets.add(header(r, CareTopics.HEADER_SOURCE_TOPIC) + "@"
                    + header(r, CareTopics.HEADER_SOURCE_PARTITION) + "@" + header(r, CareTopics.HEADER_SOURCE_OFFSET)));
            assertThat(offsets).as("each poison record once, with its origin").hasSize(4 * inputs.size());

            asker.interrupt();
            asker.join(15_000);
            System.out.printf("FAULT poison: %d dead letters; the bystander's timeline answered %d times, "
                    + "failed %d times%n", dead.size(), answered.get(), failures.size());
            assertThat(answered.get()).isPositive();
            assertThat(failures).as("the API kept answering for the bystander").isEmpty();
            TimelineHealth health = running.app().health();
            assertThat(health.status()).isEqualTo(TimelineHealth.Status.UP);
            assertThat(health.since()).as("no stream thread failed").isNull();
        }
    }
}
