package org.caretrail.timeline.query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.TimelineSummaries;

/**
 * A patient's timeline as a caller WITHOUT {@code RESTRICTED_ACCESS} sees it: as if the RESTRICTED
 * entries (sensitive care a source marked: sexual health, gender identity, safeguarding...) had never
 * been recorded. Every read: pages and their totals, history (withdrawn entries), as-of, and the
 * summary, whose counts and derived views (spells, open referrals, current prescriptions, registered
 * GP, deceased) are recomputed from the visible entries alone, so no count, gap or view betrays that
 * something is hidden.
 *
 * <p>An item counts as RESTRICTED when its displayed entry is, now or in the as-of view: a source that
 * marks an item RESTRICTED later hides its earlier versions from as-of reads too.
 *
 * <p>Cost: the patient's whole timeline is read (as an as-of read always does); when nothing in it is
 * RESTRICTED the ordinary page is served unchanged.
 */
final class RestrictedEntries {

    /** At most this many chunks of {@link TimelineQuery#MAX_SIZE} entries are read for one patient. */
    static final int MAX_CHUNKS = 1_000;

    private RestrictedEntries() {
    }

    /** The page {@code q} without RESTRICTED entries; empty when the patient is unknown here. */
    static Optional<TimelinePage> pageWithout(TimelineQueries queries, TimelineQuery q) {
        Optional<Read> read = readAll(queries, q.nhsNumber(), q.asOf());
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Set<String> restricted = new HashSet<>();
        read.get().entries().stream().filter(RestrictedEntries::restricted).forEach(e -> restricted.add(e.getEntryId()));
        if (q.asOf() != null) {
            readAll(queries, q.nhsNumber(), null).ifPresent(now -> now.entries().stream()
                    .filter(RestrictedEntries::restricted).forEach(e -> restricted.add(e.getEntryId())));
        }
        if (restricted.isEmpty()) {
            return queries.page(q);
        }
        List<TimelineEntry> visible = read.get().entries().stream()
                .filter(e -> !restricted.contains(e.getEntryId())).toList();
        Instant at = read.get().at();
        TimelineSummary summary = TimelineSummaries.of(visible, at);
        List<TimelineEntry> matching = visible.stream()
                .filter(e -> q.history() || e.getStatus() == EntryStatus.CURRENT)
                .filter(e -> q.includes(e.getType()))
                .filter(e -> q.from() == null || !e.getOccurredAt().isBefore(q.from()))
                .filter(e -> q.to() == null || !e.getOccurredAt().isAfter(q.to()))
                .toList();
        int from = (int) Math.min(matching.size(), (long) q.page() * q.size());
        int to = Math.min(matching.size(), from + q.size());
        return Optional.of(new TimelinePage(q, summary, matching.subList(from, to), matching.size(), at));
    }

    /**
     * Every entry of the patient (current and withdrawn), in timeline order, without the RESTRICTED ones,
     * and the summary recomputed from what is left, as known now; empty when the patient is unknown here.
     * The same rule as {@link #pageWithout}, for reads that need the whole timeline (the FHIR read API).
     */
    static Optional<VisibleTimeline> timelineWithout(TimelineQueries queries, String nhs) {
        Optional<Read> read = readAll(queries, nhs, null);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Set<String> restricted = new HashSet<>();
        read.get().entries().stream().filter(RestrictedEntries::restricted).forEach(e -> restricted.add(e.getEntryId()));
        List<TimelineEntry> visible = read.get().entries().stream()
                .filter(e -> !restricted.contains(e.getEntryId())).toList();
        return Optional.of(new VisibleTimeline(nhs, TimelineSummaries.of(visible, read.get().at()), visible,
                read.get().at()));
    }

    /** Every entry of the patient (current and withdrawn), RESTRICTED ones included, and the summary. */
    static Optional<VisibleTimeline> timeline(TimelineQueries queries, String nhs) {
        Optional<TimelinePage> first = queries.page(new TimelineQuery(nhs, null, null, Set.of(), 0,
                TimelineQuery.MAX_SIZE, true, null));
        if (first.isEmpty()) {
            return Optional.empty();
        }
        Optional<Read> read = first.get().hasMore() ? readAll(queries, nhs, null)
                : Optional.of(new Read(first.get().entries(), first.get().at()));
        return read.map(r -> new VisibleTimeline(nhs, first.get().summary(), r.entries(), first.get().at()));
    }

    private static boolean restricted(TimelineEntry e) {
        return e.getSensitivity() == Sensitivity.RESTRICTED;
    }

    private record Read(List<TimelineEntry> entries, Instant at) {
    }

    /** Every entry (current and withdrawn), in timeline order, as known now or at {@code asOf}. */
    private static Optional<Read> readAll(TimelineQueries queries, String nhs, Instant asOf) {
        List<TimelineEntry> all = new ArrayList<>();
        Instant at = null;
        for (int chunk = 0; chunk < MAX_CHUNKS; chunk++) {
            Optional<TimelinePage> page = queries.page(new TimelineQuery(nhs, null, null, Set.of(), chunk,
                    TimelineQuery.MAX_SIZE, true, asOf));
            if (page.isEmpty()) {
                return chunk == 0 ? Optional.empty() : Optional.of(new Read(all, at));
            }
            at = at == null ? page.get().at() : at;
            all.addAll(page.get().entries());
            if (!page.get().hasMore()) {
                break;
            }
        }
        return Optional.of(new Read(all, at));
    }
}
