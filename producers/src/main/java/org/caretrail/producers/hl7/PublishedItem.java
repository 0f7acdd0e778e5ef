package org.caretrail.producers.hl7;

import java.time.Instant;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;

/**
 * The last event this adapter published about one care item, as its message log remembers it: what
 * a later cancel or correction of that item names in {@code header.supersedes}, and what tells a
 * cancel which items a visit has.
 *
 * @param key         the item: organisation, event type, subjectId
 * @param visit       the visit (spell) it belongs to (PV1-19), or null (identity, death)
 * @param eventId     the event published last for the item
 * @param supersedes  what that event superseded (so a re-send after a lost memory is byte-identical)
 * @param action      its action: CANCEL means the item stands withdrawn
 * @param occurredAt  its clinical time (orders a spell's transfers)
 * @param fingerprint for facts every message restates (identity links, death): a hash of what was
 *                    stated, so an unchanged restatement is not published again; null otherwise
 * @param publishedAt when it was published (orders the items of a visit; ages the memory)
 */
public record PublishedItem(Key key, String visit, String eventId, String supersedes, Action action,
                            Instant occurredAt, String fingerprint, Instant publishedAt) {

    public PublishedItem {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(publishedAt, "publishedAt");
    }

    /** Whether the item stands (its last event is not a CANCEL). */
    public boolean stated() {
        return action != Action.CANCEL;
    }

    /** What {@code event} says about its item, published at {@code at}. */
    static PublishedItem of(SpecificRecord event, String visit, String fingerprint, Instant at) {
        EventHeader h = CareEvents.header(event);
        return new PublishedItem(Key.of(event), visit, h.getEventId(), h.getSupersedes(), h.getAction(),
                h.getOccurredAt(), fingerprint, at);
    }

    /** A care item as the stream processor keys it: organisation, event type and subjectId. */
    public record Key(String odsCode, CareEventType type, String subjectId) {

        public Key {
            Objects.requireNonNull(odsCode, "odsCode");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(subjectId, "subjectId");
        }

        static Key of(SpecificRecord event) {
            EventHeader h = CareEvents.header(event);
            return new Key(h.getSource().getOdsCode(), CareEventType.of(event), h.getSubjectId());
        }

        @Override
        public String toString() {
            return odsCode + "|" + type + "|" + subjectId;
        }
    }
}
