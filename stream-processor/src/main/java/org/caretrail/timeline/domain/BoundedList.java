package org.caretrail.timeline.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A summary list of at most {@code max} items, the newest kept, and how many older ones it leaves out
 * ({@code omitted}). {@link #maintain} keeps it after one member changes, rescanning every member only when
 * the list is full and a listed member leaves or moves (an older one may then have to come back).
 */
record BoundedList<T>(List<T> items, int omitted) {

    /** The newest {@code max} of {@code inOrder} (oldest first). */
    static <T> BoundedList<T> newest(List<T> inOrder, int max) {
        return inOrder.size() <= max ? new BoundedList<>(List.copyOf(inOrder), 0)
                : new BoundedList<>(List.copyOf(inOrder.subList(inOrder.size() - max, inOrder.size())),
                        inOrder.size() - max);
    }

    /**
     * The list after one member changed from {@code then} to {@code now} (null: not a member).
     *
     * @param id what identifies a member across its changes
     * @param all every member, oldest first (read only when needed)
     */
    static <T> BoundedList<T> maintain(List<T> listed, int omitted, T then, T now, Comparator<T> order,
            Function<T, String> id, Supplier<List<T>> all, int max) {
        if (then == null && now == null) {
            return new BoundedList<>(listed, omitted);
        }
        String key = id.apply(now != null ? now : then);
        int index = -1;
        for (int i = 0; i < listed.size(); i++) {
            if (id.apply(listed.get(i)).equals(key)) {
                index = i;
                break;
            }
        }
        boolean bounded = omitted > 0 || listed.size() >= max;
        if (!bounded || then == null) {
            // the list holds every member, or a new member joins: add it, keep the newest
            List<T> list = new ArrayList<>(listed);
            if (index >= 0) {
                list.remove(index);
            }
            if (now != null) {
                list.add(now);
            }
            list.sort(order);
            BoundedList<T> kept = newest(list, max);
            return new BoundedList<>(kept.items(), (bounded ? omitted : 0) + kept.omitted());
        }
        if (index < 0) {
            // the member was among those left out
            if (now == null) {
                return new BoundedList<>(listed, omitted - 1);
            }
            if (!listed.isEmpty() && order.compare(now, listed.get(0)) < 0) {
                return new BoundedList<>(listed, omitted); // still older than every listed one
            }
            return newest(all.get(), max);
        }
        if (now != null && order.compare(now, listed.get(index)) == 0) {
            List<T> list = new ArrayList<>(listed);
            list.set(index, now);
            return new BoundedList<>(List.copyOf(list), omitted);
        }
        return newest(all.get(), max); // a listed member left or moved: an older one may come back
    }
}
