package org.caretrail.producers.hl7;

import java.util.List;
import java.util.Optional;

/**
 * What this adapter remembers having published (its {@link Hl7MessageLog}), read by the mapper:
 * the last event of an item (for {@code supersedes}), and the items of a visit (so a cancel
 * withdraws what the visit really is, whatever patient class the cancel carries).
 *
 * <p>The memory is bounded: an item it no longer holds is simply unknown, and the mapper falls back
 * to what the message alone says (a cancel withdraws every candidate item type of the visit; an
 * event supersedes nothing and is ordered by its version).
 */
public interface PublishedItems {

    /** The last event published for {@code key}, if remembered. */
    Optional<PublishedItem> item(PublishedItem.Key key);

    /** Every remembered item of the visit {@code visit} at organisation {@code odsCode}, oldest first. */
    List<PublishedItem> ofVisit(String odsCode, String visit);

    /** A memory that holds nothing: every message is mapped on its own. */
    static PublishedItems none() {
        return new PublishedItems() {
            @Override
            public Optional<PublishedItem> item(PublishedItem.Key key) {
                return Optional.empty();
            }

            @Override
            public List<PublishedItem> ofVisit(String odsCode, String visit) {
                return List.of();
            }
        };
    }
}
