package org.caretrail.timeline.processor;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.TimelineEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identity resolution for events known only by a local identifier (design rule 4, the LINK part),
 * keyed by that identifier ({@code system|value}). Two processors share two stores:
 * <ul>
 *   <li>{@link Links} reads {@code care.patient-identities}: a LINK (or a MERGE of a local identity)
 *       records {@code system|value → NHS number} in {@link TimelineStores#IDENTITY_LINKS} and
 *       releases every entry held for that identifier, keyed by the NHS number;
 *   <li>{@link HoldOrPlace} reads local-only entries: with a known link it passes them on keyed by
 *       the NHS number, else holds them in {@link TimelineStores#UNRESOLVED}.
 * </ul>
 * The released entries then take the same path as every other entry into the timeline builder,
 * so they land at their right place in timeline order.
 */
public final class IdentityResolver {

    private static final Logger LOG = LoggerFactory.getLogger(IdentityResolver.class);

    private IdentityResolver() {
    }

    /** The stores both processors need connected. */
    public static String[] storeNames() {
        return new String[] {TimelineStores.IDENTITY_LINKS, TimelineStores.UNRESOLVED};
    }

    /** Identity events: record the link, release what was held. */
    public static final class Links implements Processor<String, PatientIdentity, String, TimelineEntry> {
        private ProcessorContext<String, TimelineEntry> context;
        private KeyValueStore<String, String> links;
        private KeyValueStore<String, TimelineEntry> unresolved;
        private Sensor released;
        private Sensor unsupported;

        @Override
        public void init(ProcessorContext<String, TimelineEntry> context) {
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
                // merging two NHS numbers' timelines is not implemented yet
                LOG.warn("Identity event {} ({} of {} into {}) is not applied: only links of local identifiers are "
                        + "resolved so far", id.getHeader().getEventId(), id.getKind(), id.getSupersededNhsNumber(),
                        id.getNhsNumber());
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
            List<KeyValue<String, TimelineEntry>> held = new ArrayList<>();
            try (KeyValueIterator<String, TimelineEntry> it = unresolved.prefixScan(local + "|",
                    Serdes.String().serializer())) {
                it.forEachRemaining(held::add);
            }
            for (KeyValue<String, TimelineEntry> kv : held) {
                context.forward(new Record<>(nhs, kv.value, record.timestamp()));
                unresolved.delete(kv.key);
                released.record();
            }
            if (!held.isEmpty()) {
                LOG.info("Linked {} to an NHS number: {} held events placed", local, held.size());
            }
        }
    }

    /** Entries known only by a local identifier: place them if linked, else hold them. */
    public static final class HoldOrPlace implements Processor<String, TimelineEntry, String, TimelineEntry> {
        private ProcessorContext<String, TimelineEntry> context;
        private KeyValueStore<String, String> links;
        private KeyValueStore<String, TimelineEntry> unresolved;
        private Sensor held;

        @Override
        public void init(ProcessorContext<String, TimelineEntry> context) {
            this.context = context;
            this.links = context.getStateStore(TimelineStores.IDENTITY_LINKS);
            this.unresolved = context.getStateStore(TimelineStores.UNRESOLVED);
            this.held = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "identity-resolver",
                    "held-unresolved-events", Sensor.RecordingLevel.INFO);
        }

        @Override
        public void process(Record<String, TimelineEntry> record) {
            String nhs = links.get(record.key());
            if (nhs != null) {
                context.forward(record.withKey(nhs));
            } else {
                unresolved.put(record.key() + "|" + record.value().getEventId(), record.value());
                held.record();
            }
        }
    }
}
