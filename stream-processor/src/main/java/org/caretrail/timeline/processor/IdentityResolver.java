package org.caretrail.timeline.processor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.errors.DeadLetters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identity resolution for events known only by a local identifier (design rule 4, the LINK part),
 * keyed by that identifier ({@code system|value}). Two processors share two stores:
 * <ul>
 *   <li>{@link Links} reads {@code care.patient-identities}: a LINK (or a MERGE of a local identity; the
 *       NHS-number part of a merge is {@link PatientMerges}'s)
 *       records {@code system|value → NHS number} in {@link TimelineStores#IDENTITY_LINKS} and
 *       releases every event held for that identifier, keyed by the NHS number;
 *   <li>{@link HoldOrPlace} reads local-only events: with a known link it passes them on keyed by
 *       the NHS number, else holds them, as they arrived, in {@link TimelineStores#UNRESOLVED}; events
 *       still unresolved after the configured time go to the dead-letter topic with their original
 *       bytes and the reason.
 * </ul>
 * Output is {@link Decoded}: a placed event (keyed by NHS number) or an expired one (a rejection).
 * Placed events then take the same path as every other event into the timeline builder, so they
 * land at their right place in timeline order.
 */
public final class IdentityResolver {

    private static final Logger LOG = LoggerFactory.getLogger(IdentityResolver.class);

    private IdentityResolver() {
    }

    /** The stores both processors need connected. */
    public static String[] storeNames() {
        return new String[] {TimelineStores.IDENTITY_LINKS, TimelineStores.UNRESOLVED};
    }

    private static SpecificRecord decode(Topics topics, HeldEvent held) {
        CareEventType type = CareEventType.byTopic(held.topic()).orElseThrow(() -> new IllegalStateException(
                "held event from unknown topic " + held.topic()));
        return topics.events(type).valueSerde().deserializer().deserialize(held.topic(), held.originalValue());
    }

    /** Identity events: record the link, release what was held. */
    public static final class Links implements Processor<String, PatientIdentity, String, Decoded> {
        private final Topics topics;
        private ProcessorContext<String, Decoded> context;
        private KeyValueStore<String, String> links;
        private KeyValueStore<String, HeldEvent> unresolved;
        private Sensor released;
        private Sensor unsupported;

        public Links(Topics topics) {
            this.topics = topics;
        }

        @Override
        public void init(ProcessorContext<String, Decoded> context) {
            this.context = context;
            this.links = context.getStateStore(TimelineStores.IDENTITY_LINKS);
            this.unresolved = context.getStateStore(TimelineStores.UNRESOLVED);
            this.released = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "identity-resolver",
                    "released-events", Sensor.RecordingLevel.INFO);
            this.unsupported = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE,
                    "identity-resolver", "unsupported-identity-events", Sensor.RecordingLevel.INFO);
        }

        @Override
        public void process(Record<String, PatientIdentity> record) {
            PatientIdentity id = record.value();
            if (id.getLocalId() == null || id.getKind() == IdentityKind.SUPERSEDE) {
                // cannot happen: the topology sends only local identities here (NHS-number merges go to
                // PatientMerges)
                LOG.warn("Identity event {} ({} of {} into {}) has no local identifier to link; ignored here",
                        id.getHeader().getEventId(), id.getKind(), id.getSupersededNhsNumber(), id.getNhsNumber());
                unsupported.record();
                return;
            }
            String local = CareEvents.localKey(id.getLocalId());
            String nhs = id.getNhsNumber().replace(" ", "");
            String previous = links.get(local);
            if (previous != null && !previous.equals(nhs)) {
                LOG.warn("Local identifier {} was linked to {}, now to {}: later events follow the new link; "
                        + "entries already placed stay where they are", local, previous, nhs);
            }
            links.put(local, nhs);
            List<KeyValue<String, HeldEvent>> held = new ArrayList<>();
            try (KeyValueIterator<String, HeldEvent> it = unresolved.prefixScan(local + "|",
                    Serdes.String().serializer())) {
                it.forEachRemaining(held::add);
            }
            for (KeyValue<String, HeldEvent> kv : held) {
                context.forward(new Record<>(nhs, Decoded.valid(decode(topics, kv.value), kv.value),
                        record.timestamp()));
                unresolved.delete(kv.key);
                released.record();
            }
            if (!held.isEmpty()) {
                LOG.debug("Linked {} to an NHS number: {} held events placed", local, held.size());
            }
        }
    }

    /** Events known only by a local identifier: place them if linked, else hold them (until they expire). */
    public static final class HoldOrPlace implements Processor<String, HeldEvent, String, Decoded> {
        private final Topics topics;
        private final Duration timeout;
        private ProcessorContext<String, Decoded> context;
        private KeyValueStore<String, String> links;
        private KeyValueStore<String, HeldEvent> unresolved;
        private Sensor held;
        private Sensor expired;

        /** @param timeout how long an event may wait for its link before it is dead-lettered */
        public HoldOrPlace(Topics topics, Duration timeout) {
            this.topics = topics;
            this.timeout = timeout;
        }

        @Override
        public void init(ProcessorContext<String, Decoded> context) {
            this.context = context;
            this.links = context.getStateStore(TimelineStores.IDENTITY_LINKS);
            this.unresolved = context.getStateStore(TimelineStores.UNRESOLVED);
            this.held = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "identity-resolver",
                    "held-unresolved-events", Sensor.RecordingLevel.INFO);
            this.expired = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "identity-resolver",
                    "expired-unresolved-events", Sensor.RecordingLevel.INFO);
            Duration every = timeout.dividedBy(4);
            context.schedule(every.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1)
                    : every.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : every,
                    PunctuationType.WALL_CLOCK_TIME, this::expire);
        }

        @Override
        public void process(Record<String, HeldEvent> record) {
            SpecificRecord event = decode(topics, record.value());
            String nhs = links.get(record.key());
            if (nhs != null) {
                context.forward(record.withKey(nhs).withValue(Decoded.valid(event, record.value())));
                return;
            }
            String key = record.key() + "|" + CareEvents.header(event).getEventId();
            if (unresolved.get(key) == null) {
                unresolved.put(key, record.value().withHeldSince(context.currentSystemTimeMs()));
                held.record();
            }
        }

        private void expire(long now) {
            List<KeyValue<String, HeldEvent>> due = new ArrayList<>();
            try (KeyValueIterator<String, HeldEvent> it = unresolved.all()) {
                while (it.hasNext()) {
                    KeyValue<String, HeldEvent> kv = it.next();
                    if (now - kv.value.heldSince() >= timeout.toMillis()) {
                        due.add(kv);
                    }
                }
            }
            for (KeyValue<String, HeldEvent> kv : due) {
                HeldEvent e = kv.value;
                String local = kv.key.substring(0, kv.key.lastIndexOf('|'));
                String reason = "unresolved identity: no link from local identifier " + local
                        + " to an NHS number arrived within " + timeout;
                LOG.warn("Dead-lettering held event {}-{}@{}: {}", e.topic(), e.partition(), e.offset(), reason);
                context.forward(new Record<>(local, Decoded.rejected(e.originalKey(), e.originalValue(), reason), now,
                        DeadLetters.headers(new RecordHeaders(), reason, e.topic(), e.partition(), e.offset())));
                unresolved.delete(kv.key);
                expired.record();
            }
        }
    }
}
