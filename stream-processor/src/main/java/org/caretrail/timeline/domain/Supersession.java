package org.caretrail.timeline.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * The one rule that decides which of an item's events stands, shared by care items ({@link CareItem})
 * and identity items (merges and links of one identity, {@link IdentityItem}). Pure functions of the SET
 * of an item's events, so arrival order, repeats and retries never change the outcome (design rule 2).
 *
 * <ol>
 *   <li>Same {@code eventId} = the same event: one copy is kept, the lowest by {@link Rules#sameEvent}
 *       (lowest version, then content), so a resend published twice never counts twice.
 *   <li>An event is <b>superseded</b> when another event of the set names it in {@code supersedes}: the sender
 *       corrected (UPDATE) or withdrew (CANCEL) it, knowing it. Clocks differ between systems, so this link
 *       beats any version: a cancel never loses to the event it names.
 *   <li>The <b>candidates</b> are the events not superseded (if a forged cycle leaves none, all of them);
 *       the <b>winner</b> is the highest candidate by {@link Rules#precedence} (version, CANCEL over the rest,
 *       eventId, content). Events with no links are thus ordered by version, as before.
 *   <li>An item keeps at most {@link Rules#maxEvents} events and {@link Rules#maxBytes} bytes: beyond that the
 *       oldest superseded events go first, then the lowest in precedence; the winner and what the item last
 *       stated are never dropped. Only a sender that corrects one item dozens of times reaches the cap.
 * </ol>
 *
 * @param <E> the event type
 */
public final class Supersession {

    private Supersession() {
    }

    /**
     * What the rule needs to know of an event type.
     *
     * @param eventId the event's id
     * @param supersedes the eventId it corrects or withdraws, or null
     * @param cancel true for a CANCEL
     * @param precedence which of two unlinked events wins (the higher)
     * @param sameEvent which copy of one eventId is kept (the lower)
     * @param age for dropping beyond the cap: older first
     * @param size the event's encoded size in bytes, for the byte cap
     * @param maxEvents events kept at most
     * @param maxBytes bytes kept at most (sum of {@code size})
     */
    public record Rules<E>(Function<E, String> eventId, Function<E, String> supersedes, Predicate<E> cancel,
            Comparator<E> precedence, Comparator<E> sameEvent, Comparator<E> age, ToLongFunction<E> size,
            int maxEvents, long maxBytes) {
    }

    /** The distinct events of {@code events}: one per eventId, the lowest by {@link Rules#sameEvent}. */
    public static <E> List<E> distinct(Collection<E> events, Rules<E> rules) {
        Map<String, E> byId = new LinkedHashMap<>();
        for (E e : events) {
            byId.merge(rules.eventId().apply(e), e, (a, b) -> rules.sameEvent().compare(a, b) <= 0 ? a : b);
        }
        List<E> result = new ArrayList<>(byId.values());
        result.sort(Comparator.comparing(rules.eventId()));
        return result;
    }

    /** The eventIds of {@code events} that another event of the set names in {@code supersedes}. */
    public static <E> Set<String> superseded(Collection<E> events, Rules<E> rules) {
        Set<String> ids = new HashSet<>();
        events.forEach(e -> ids.add(rules.eventId().apply(e)));
        Set<String> named = new HashSet<>();
        for (E e : events) {
            String target = rules.supersedes().apply(e);
            if (target != null && ids.contains(target) && !target.equals(rules.eventId().apply(e))) {
                named.add(target);
            }
        }
        return named;
    }

    /** The events not superseded by another of the set; all of them when a cycle of links leaves none. */
    public static <E> List<E> candidates(Collection<E> events, Rules<E> rules) {
        Set<String> superseded = superseded(events, rules);
        List<E> candidates = events.stream().filter(e -> !superseded.contains(rules.eventId().apply(e))).toList();
        return candidates.isEmpty() ? List.copyOf(events) : candidates;
    }

    /** The standing event of a non-empty set: the highest candidate by precedence. */
    public static <E> E winner(Collection<E> events, Rules<E> rules) {
        return candidates(events, rules).stream().max(rules.precedence())
                .orElseThrow(() -> new IllegalArgumentException("an item has at least one event"));
    }

    /**
     * {@code events} (distinct) within the caps: drops the oldest superseded events first, then the lowest in
     * precedence, never one of {@code keep} (the events the item must go on showing).
     *
     * @param keep which events must stay, given the current set (the winner, what the item last stated)
     */
    public static <E> List<E> capped(List<E> events, Rules<E> rules,
            Function<List<E>, Collection<E>> keep) {
        if (events.size() <= rules.maxEvents() && !mayExceedBytes(events, rules)) {
            return events;
        }
        List<E> kept = new ArrayList<>(events);
        while (kept.size() > rules.maxEvents() || bytes(kept, rules) > rules.maxBytes()) {
            Collection<E> mustStay = keep.apply(kept);
            Set<String> superseded = superseded(kept, rules);
            Comparator<E> dropOrder = Comparator.<E, Boolean>comparing(
                            e -> !superseded.contains(rules.eventId().apply(e)))
                    .thenComparing((a, b) -> superseded.contains(rules.eventId().apply(a))
                            ? rules.age().compare(a, b) : rules.precedence().compare(a, b))
                    .thenComparing(rules.precedence());
            E victim = kept.stream().filter(e -> !mustStay.contains(e)).min(dropOrder).orElse(null);
            if (victim == null) {
                break; // only what must stay is left
            }
            kept.remove(victim);
        }
        return kept;
    }

    private static <E> boolean mayExceedBytes(List<E> events, Rules<E> rules) {
        // an event of the contract is at most a few tens of KB: only sets larger than a handful can pass the cap
        return events.size() > 6 && bytes(events, rules) > rules.maxBytes();
    }

    private static <E> long bytes(List<E> events, Rules<E> rules) {
        long total = 0;
        for (E e : events) {
            total += rules.size().applyAsLong(e);
        }
        return total;
    }
}
