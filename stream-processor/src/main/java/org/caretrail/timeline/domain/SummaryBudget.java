package org.caretrail.timeline.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.generic.IndexedRecord;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;

/**
 * What keeps a summary small whatever the patient's history: entries copied into it are brief
 * ({@link #brief}: at most {@value #BRIEF_DETAILS} details of {@value #BRIEF_CHARS} characters), every text
 * copied into it is cut to {@value #BRIEF_CHARS} characters, and {@link #fitBudget} trims a summary to a byte
 * budget for a record that must stay small, counting what it leaves out.
 */
public final class SummaryBudget {

    /** Characters kept of each text copied into a summary. */
    public static final int BRIEF_CHARS = 120;
    /** Details kept of each entry copied into a summary. */
    public static final int BRIEF_DETAILS = 16;

    private SummaryBudget() {
    }

    /**
     * The copy of an entry a summary keeps: every field, but at most {@value #BRIEF_DETAILS} details (the
     * body's own fields first, then the parts of nested ones, each in name order) of at most
     * {@value #BRIEF_CHARS} characters, and the summary line, the source's name and system and the local
     * identifier's system cut alike.
     */
    public static TimelineEntry brief(TimelineEntry e) {
        Map<String, String> details = new LinkedHashMap<>();
        e.getDetails().keySet().stream()
                .sorted(Comparator.comparing((String k) -> k.contains(".")).thenComparing(Comparator.naturalOrder()))
                .limit(BRIEF_DETAILS)
                .forEach(k -> details.put(k, cut(e.getDetails().get(k))));
        return TimelineEntry.newBuilder(e).setDetails(details).setSummary(cut(e.getSummary()))
                .setSource(brief(e.getSource()))
                .setLocalId(e.getLocalId() == null ? null
                        : new LocalIdentifier(cut(e.getLocalId().getSystem()), e.getLocalId().getValue()))
                .build();
    }

    static Source brief(Source s) {
        return new Source(s.getOdsCode(), cut(s.getName()), s.getKind(), cut(s.getSystem()));
    }

    /** {@code s} cut to {@value #BRIEF_CHARS} characters (an ellipsis says so). */
    static String cut(String s) {
        return s == null || s.length() <= BRIEF_CHARS ? s : s.substring(0, BRIEF_CHARS - 1) + "…";
    }

    /**
     * A copy of {@code summary} no larger than {@code maxBytes} (Avro binary): the oldest items of the largest
     * lists are left out, one at a time, and counted in {@code omitted}. A pure function of the summary.
     */
    public static TimelineSummary fitBudget(TimelineSummary summary, long maxBytes) {
        long size = EncodedSize.of(summary);
        if (size <= maxBytes) {
            return summary;
        }
        TimelineSummary copy = TimelineSummary.newBuilder(summary).build();
        Map<String, List<?>> lists = new LinkedHashMap<>();
        lists.put(TimelineSummaries.OPEN_REFERRALS, new ArrayList<>(copy.getOpenReferrals()));
        lists.put(TimelineSummaries.CURRENT_PRESCRIPTIONS, new ArrayList<>(copy.getCurrentPrescriptions()));
        lists.put(TimelineSummaries.MEDICATIONS, new ArrayList<>(copy.getMedications()));
        lists.put(TimelineSummaries.SPELLS, new ArrayList<>(copy.getSpells()));
        lists.put(TimelineSummaries.ACTIVITY_AFTER_DEATH, new ArrayList<>(copy.getActivityAfterDeath()));
        Map<String, List<Long>> sizes = new LinkedHashMap<>();
        lists.forEach((name, items) -> sizes.put(name, new ArrayList<>(items.stream().map(SummaryBudget::bytes)
                .toList())));
        Map<String, Integer> omitted = new TreeMap<>(copy.getOmitted());
        while (size > maxBytes) {
            String largest = null;
            long largestBytes = 0;
            for (Map.Entry<String, List<Long>> e : sizes.entrySet()) {
                long total = e.getValue().stream().mapToLong(Long::longValue).sum();
                if (total > largestBytes) {
                    largest = e.getKey();
                    largestBytes = total;
                }
            }
            if (largest == null) {
                break; // nothing left to leave out
            }
            lists.get(largest).remove(0);
            size -= sizes.get(largest).remove(0);
            omitted.merge(largest, 1, Integer::sum);
        }
        copy.setOpenReferrals(cast(lists.get(TimelineSummaries.OPEN_REFERRALS)));
        copy.setCurrentPrescriptions(cast(lists.get(TimelineSummaries.CURRENT_PRESCRIPTIONS)));
        copy.setMedications(cast(lists.get(TimelineSummaries.MEDICATIONS)));
        copy.setSpells(cast(lists.get(TimelineSummaries.SPELLS)));
        copy.setActivityAfterDeath(cast(lists.get(TimelineSummaries.ACTIVITY_AFTER_DEATH)));
        copy.setOmitted(omitted);
        boolean more = lists.values().stream().anyMatch(l -> !l.isEmpty());
        // the sizes of the parts estimate the whole (array lengths are variable-length numbers): measure again
        return more && EncodedSize.of(copy) > maxBytes ? fitBudget(copy, maxBytes) : copy;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> cast(List<?> list) {
        return (List<T>) list;
    }

    private static long bytes(Object item) {
        if (item instanceof IndexedRecord r) {
            return EncodedSize.of(r);
        }
        return String.valueOf(item).length() + 2L;
    }
}
