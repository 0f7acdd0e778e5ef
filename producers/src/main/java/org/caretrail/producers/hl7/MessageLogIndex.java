package org.caretrail.producers.hl7;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The in-memory copy of the HL7 message log, bounded in count and age: at most {@code maxEntries}
 * messages and {@code maxEntries} items (the least recently used go first), none older than
 * {@code maxAge}. Pure and thread-safe; {@link Hl7MessageLog} feeds it from Kafka.
 *
 * <p>A message is remembered by its key (MSH-4, MSH-3, MSH-10) and the hashes of the contents
 * published under that key; an item by its key, with an index from visit to items.
 */
final class MessageLogIndex implements PublishedItems {

    /** Whether a message was published before. */
    enum Seen {
        /** Never seen: publish it. */
        NEW,
        /** The same control id with the same content: a repeat, answered AA without publishing again. */
        REPEAT,
        /** The same control id with other content: a different message under a reused id, published. */
        CONTROL_ID_REUSED
    }

    private final int maxEntries;
    private final Duration maxAge;
    private final Clock clock;
    /** message key → content hash → when published. */
    private final LinkedHashMap<String, Map<String, Instant>> messages;
    private final LinkedHashMap<PublishedItem.Key, PublishedItem> items;
    private final Map<String, Set<PublishedItem.Key>> visits = new HashMap<>();

    MessageLogIndex(int maxEntries, Duration maxAge, Clock clock) {
        this.maxEntries = maxEntries;
        this.maxAge = maxAge;
        this.clock = clock;
        this.messages = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, Instant>> eldest) {
                return size() > MessageLogIndex.this.maxEntries;
            }
        };
        this.items = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<PublishedItem.Key, PublishedItem> eldest) {
                if (size() > MessageLogIndex.this.maxEntries) {
                    unindex(eldest.getValue());
                    return true;
                }
                return false;
            }
        };
    }

    synchronized Seen seen(String messageKey, String contentHash) {
        Map<String, Instant> contents = messages.get(messageKey);
        if (contents == null) {
            return Seen.NEW;
        }
        Instant cutoff = cutoff();
        contents.values().removeIf(at -> at.isBefore(cutoff));
        if (contents.isEmpty()) {
            messages.remove(messageKey);
            return Seen.NEW;
        }
        return contents.containsKey(contentHash) ? Seen.REPEAT : Seen.CONTROL_ID_REUSED;
    }

    /** Remembers that a message with this key and content was published at {@code at}. */
    synchronized void message(String messageKey, String contentHash, Instant at) {
        if (at.isBefore(cutoff())) {
            return;
        }
        Map<String, Instant> contents = messages.computeIfAbsent(messageKey, k -> new LinkedHashMap<>(2));
        contents.merge(contentHash, at, (a, b) -> a.isAfter(b) ? a : b);
        while (contents.size() > 16) {   // a control id reused more than 16 times: keep the newest
            contents.remove(contents.keySet().iterator().next());
        }
    }

    /**
     * Remembers {@code item} as its key's last event, unless a newer one is already held (two
     * instances writing the same item: the later publication wins, as in the log).
     */
    synchronized void item(PublishedItem item) {
        if (item.publishedAt().isBefore(cutoff())) {
            return;
        }
        PublishedItem held = items.get(item.key());
        if (held != null && held.publishedAt().isAfter(item.publishedAt())) {
            return;
        }
        if (held != null) {
            unindex(held);
        }
        items.put(item.key(), item);
        if (item.visit() != null) {
            visits.computeIfAbsent(visitKey(item.key().odsCode(), item.visit()), k -> new LinkedHashSet<>())
                    .add(item.key());
        }
    }

    @Override
    public synchronized Optional<PublishedItem> item(PublishedItem.Key key) {
        PublishedItem item = items.get(key);
        if (item != null && item.publishedAt().isBefore(cutoff())) {
            items.remove(key);
            unindex(item);
            return Optional.empty();
        }
        return Optional.ofNullable(item);
    }

    @Override
    public synchronized List<PublishedItem> ofVisit(String odsCode, String visit) {
        Set<PublishedItem.Key> keys = visits.get(visitKey(odsCode, visit));
        if (keys == null) {
            return List.of();
        }
        List<PublishedItem> found = new ArrayList<>(keys.size());
        for (PublishedItem.Key key : List.copyOf(keys)) {
            item(key).ifPresent(found::add);
        }
        found.sort(Comparator.comparing(PublishedItem::publishedAt));
        return found;
    }

    synchronized int messageCount() {
        return messages.size();
    }

    synchronized int itemCount() {
        return items.size();
    }

    private void unindex(PublishedItem item) {
        if (item.visit() == null) {
            return;
        }
        String visitKey = visitKey(item.key().odsCode(), item.visit());
        Set<PublishedItem.Key> keys = visits.get(visitKey);
        if (keys != null) {
            keys.remove(item.key());
            if (keys.isEmpty()) {
                visits.remove(visitKey);
            }
        }
    }

    private Instant cutoff() {
        return clock.instant().minus(maxAge);
    }

    private static String visitKey(String odsCode, String visit) {
        return odsCode + "|" + visit;
    }
}
