package org.caretrail.timeline.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.MedicationLine;
import org.caretrail.events.model.TimelineEntry;

/**
 * The current medication list a clinician reads: one line per medicine, however many prescriptions, issues
 * (GP, hospital) and pharmacy dispensings of it are current.
 * <ul>
 *   <li>Entries are grouped by their dm+d {@code medicationCode} when they carry one, else by normalised name
 *       (case, whitespace and punctuation ignored: "Metformin 500 mg" and "metformin 500mg" are one medicine);
 *       an uncoded entry whose normalised name is that of a coded one joins the coded line.
 *   <li>Each line shows the latest issue's name, dose and repeat flag, when and by whom (its source) it was
 *       issued, the dm+d code if any issue carried one, and how many current entries it groups.
 *   <li>Lines are ordered by the time of their latest issue.
 * </ul>
 */
public final class MedicationList {

    static final Comparator<MedicationLine> ORDER = Comparator
            .comparing(MedicationLine::getLastIssuedAt)
            .thenComparing(MedicationLine::getLastEntryId);

    private MedicationList() {
    }

    /** The lines of the current prescriptions given (current, not ended, not withdrawn). */
    public static List<MedicationLine> lines(Collection<TimelineEntry> prescriptions) {
        Map<String, String> codeByName = new HashMap<>();
        for (TimelineEntry p : prescriptions) {
            Coding code = TimelineEntries.coding(p.getDetails().get("medicationCode"));
            if (code != null) {
                codeByName.merge(normalisedName(p), codeKey(code), (a, b) -> a.compareTo(b) <= 0 ? a : b);
            }
        }
        Map<String, List<TimelineEntry>> groups = new TreeMap<>();
        for (TimelineEntry p : prescriptions) {
            Coding code = TimelineEntries.coding(p.getDetails().get("medicationCode"));
            String key = code != null ? codeKey(code)
                    : codeByName.getOrDefault(normalisedName(p), "name|" + normalisedName(p));
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
        }
        List<MedicationLine> lines = new ArrayList<>();
        for (List<TimelineEntry> group : groups.values()) {
            lines.add(line(group));
        }
        lines.sort(ORDER);
        return lines;
    }

    private static MedicationLine line(List<TimelineEntry> group) {
        group.sort(TimelineOrder.ORDER);
        TimelineEntry latest = group.get(group.size() - 1);
        Coding code = null;
        for (TimelineEntry p : group) {
            Coding c = TimelineEntries.coding(p.getDetails().get("medicationCode"));
            code = c != null ? c : code;
        }
        Map<String, String> d = latest.getDetails();
        return MedicationLine.newBuilder()
                .setMedication(Objects.requireNonNullElse(SummaryBudget.cut(d.get("medication")), ""))
                .setCode(code == null ? null : new Coding(SummaryBudget.cut(code.getSystem()),
                        SummaryBudget.cut(code.getCode()), SummaryBudget.cut(code.getDisplay())))
                .setDose(SummaryBudget.cut(d.get("dose")))
                .setLastIssuedAt(latest.getOccurredAt())
                .setLastIssuedBy(SummaryBudget.brief(latest.getSource()))
                .setLastEntryId(latest.getEntryId())
                .setIssues(group.size())
                .setRepeat(Boolean.parseBoolean(d.get("repeat")))
                .build();
    }

    private static String codeKey(Coding code) {
        return "code|" + code.getSystem() + "|" + code.getCode();
    }

    /** A medicine's name without case, whitespace or punctuation. */
    static String normalisedName(TimelineEntry p) {
        String name = Objects.requireNonNullElse(p.getDetails().get("medication"), "");
        StringBuilder s = new StringBuilder(name.length());
        name.toLowerCase(Locale.ROOT).codePoints().filter(Character::isLetterOrDigit).forEach(s::appendCodePoint);
        return s.toString();
    }
}
