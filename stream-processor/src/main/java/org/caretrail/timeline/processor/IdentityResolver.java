package org.caretrail.timeline.processor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.specific.SpecificData;
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
import org.caretrail.timeline.domain.IdentityItem;
import org.caretrail.timeline.errors.DeadLetters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identity resolution for events known only by a local identifier (design rule 4, the LINK part),
 * keyed by that identifier ({@code system|value}). Two processors share three stores:
 * <ul>
 *   <li>{@link Links} reads the identity events of a local identifier: its LINKs (every PID-3 that pairs an NHS
 *       number with a hospital number) and the MERGEs of it (HL7 A40/A34/A36 by hospital number). They are one
 *       {@link IdentityItem} per identifier ({@link TimelineStores#IDENTITY_EVENTS}), read with the usual rules,
 *       so their arrival order does not matter:
 *       <ul>
 *         <li>its events go to the survivor of the standing MERGE, else to the NHS number of the standing LINK,
 *             else nowhere: they are held ({@link TimelineStores#IDENTITY_LINKS}). A cancelled LINK (HL7 A29,
 *             "delete person information") unlinks: later events are held again; entries already placed stay
 *             where they are;
 *         <li>a MERGE of an identifier linked to another NHS number nX is a merge of nX into the survivor: it
 *             is passed on as a merge of nX (same eventId, {@code supersededNhsNumber} = nX) to
 *             {@link PatientMerges}, which moves nX's entries as for a merge by NHS number; likewise its
 *             cancellation (A37) and single-visit moves (A44/A45). A LINK arriving after the MERGE passes the
 *             merge on then;
 *         <li>every event held for the identifier is released, keyed by the NHS number it now goes to;
 *       </ul>
 *   <li>{@link HoldOrPlace} reads local-only events: with a known link it passes them on keyed by
 *       the NHS number, else holds them, as they arrived, in {@link TimelineStores#UNRESOLVED}; events
 *       still unresolved after the configured time go to the dead-letter topic with their original
 *       bytes and the reason.
 * </ul>
 * Placed events then take the same path as every other event into the timeline builder, so they land at
 * their right place in timeline order.
 */
public final class IdentityResolver {

    private static final Logger LOG = LoggerFactory.getLogger(IdentityResolver.class);

    private IdentityResolver() {
    }

    /** The stores both processors need connected. */
    public static String[] storeNames() {
        return TimelineStores.identityStores();
    }

    /**
     * What {@link Links} puts out: an event released for its NHS number, or a merge by hospital number passed
     * on as a merge of the NHS number the hospital number is linked to (keyed by that number).
     */
    public record Output(Decoded released, PatientIdentity derivedMerge) {
    }

    private static SpecificRecord decode(Topics topics, HeldEvent held) {
        CareEventType type = CareEventType.byTopic(held.topic()).orElseThrow(() -> new IllegalStateException(
                "held event from unknown topic " + held.topic()));
        return CareEvents.canonical(topics.events(type).valueSerde().deserializer().deserialize(held.topic(),
                held.originalValue()));
    }

    /** Identity events of local identifiers: link, merge by hospital number, release what was held. */
    public static final class Links implements Processor<String, PatientIdentity, String, Output> {
        private final Topics topics;
        private ProcessorContext<String, Output> context;
        private KeyValueStore<String, String> links;
        private KeyValueStore<String, IdentityItem> identities;
        private KeyValueStore<String, HeldEvent> unresolved;
        private Sensor released;
        private Sensor derived;
        private Sensor unsupported;

        public Links(Topics topics) {
            this.topics = topics;
        }

        @Override
        public void init(ProcessorContext<String, Output> context) {
            this.context = context;
            this.links = context.getStateStore(TimelineStores.IDENTITY_LINKS);
            this.identities = context.getStateStore(TimelineStores.IDENTITY_EVENTS);
            this.unresolved = context.getStateStore(TimelineStores.UNRESOLVED);
            this.released = sensor("released-events");
            this.derived = sensor("merges-by-local-identifier");
            this.unsupported = sensor("unsupported-identity-events");
        }

        private Sensor sensor(String name) {
            return context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "identity-resolver", name,
                    Sensor.RecordingLevel.INFO);
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
            IdentityItem known = identities.get(local);
            IdentityItem item = known == null ? IdentityItem.of(List.of(id)) : known.with(id);
            if (item == known) {
                return; // a duplicate
            }
            identities.put(local, item);
            Optional<String> linkedBefore = known == null ? Optional.empty() : known.linkedTo();
            Optional<String> linked = item.linkedTo();
            // a merge by hospital number is a merge of the NHS number it is linked to
            if (linked.isPresent()) {
                List<PatientIdentity> toPass = !linked.equals(linkedBefore) ? item.merges()
                        : id.getKind() == IdentityKind.MERGE ? List.of(id) : List.of();
                for (PatientIdentity merge : toPass) {
                    passOn(record, merge, linked.get());
                }
            }
            String before = links.get(local);
            String now = item.mergedInto().or(() -> linked).orElse(null);
            if (Objects.equals(before, now)) {
                return;
            }
            if (now == null) {
                links.delete(local);
                LOG.info("Local identifier {} is no longer linked to {} (identity event {}): its later events are "
                        + "held; entries already placed stay", local, before, id.getHeader().getEventId());
                return;
            }
            if (before != null) {
                LOG.info("Local identifier {} was linked to {}, now to {}: later events follow the new link; "
                        + "entries already placed stay where they are (unless a merge moves them)", local, before, now);
            }
            links.put(local, now);
            release(record, local, now);
        }

        /** A MERGE of a hospital number linked to {@code linked}: the same event as a merge of {@code linked}. */
        private void passOn(Record<String, PatientIdentity> record, PatientIdentity merge, String linked) {
            if (merge.getHeader().getAction() != org.caretrail.events.model.Action.CANCEL
                    && linked.equals(org.caretrail.events.NhsNumber.canonicalOrSame(merge.getNhsNumber()))) {
                return; // the hospital number already belongs to the survivor
            }
            PatientIdentity copy = SpecificData.get().deepCopy(merge.getSchema(), merge);
            copy.setSupersededNhsNumber(linked);
            context.forward(new Record<>(linked, new Output(null, copy), record.timestamp(), new RecordHeaders()));
            derived.record();
        }

        private void release(Record<String, PatientIdentity> record, String local, String nhs) {
            List<KeyValue<String, HeldEvent>> held = new ArrayList<>();
            try (KeyValueIterator<String, HeldEvent> it = unresolved.prefixScan(local + "|",
                    Serdes.String().serializer())) {
                it.forEachRemaining(held::add);
            }
            for (KeyValue<String, HeldEvent> kv : held) {
                context.forward(new Record<>(nhs, new Output(Decoded.valid(decode(topics, kv.value), kv.value), null),
                        record.timestamp(), new RecordHeaders()));
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
