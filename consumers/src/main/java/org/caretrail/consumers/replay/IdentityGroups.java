package org.caretrail.consumers.replay;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Which patient identifiers (NHS numbers and {@code system|value} local identifiers) belong to the
 * same person, as links and merges say: a union-find over identifiers, with path halving.
 */
final class IdentityGroups {

    private final Map<String, String> parent = new HashMap<>();

    /** Records that every identifier in {@code keys} names the same person. */
    void same(Collection<String> keys) {
        Iterator<String> it = keys.iterator();
        if (!it.hasNext()) {
            return;
        }
        String first = root(it.next());
        while (it.hasNext()) {
            String other = root(it.next());
            if (!other.equals(first)) {
                parent.put(other, first);
            }
        }
    }

    /** {@code keys} and every identifier of the same people. */
    Set<String> closure(Set<String> keys) {
        Set<String> roots = new HashSet<>();
        for (String key : keys) {
            roots.add(root(key));
        }
        Set<String> all = new HashSet<>(keys);
        for (String key : parent.keySet()) {
            if (roots.contains(root(key))) {
                all.add(key);
            }
        }
        return all;
    }

    private String root(String key) {
        String current = parent.computeIfAbsent(key, k -> k);
        while (true) {
            String up = parent.get(current);
            if (up.equals(current)) {
                return current;
            }
            String grand = parent.get(up);
            parent.put(current, grand);
            current = grand;
        }
    }
}
