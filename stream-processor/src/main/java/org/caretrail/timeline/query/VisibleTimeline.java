package org.caretrail.timeline.query;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;

/**
 * A patient's whole timeline as one caller may see it: every entry, current and withdrawn, in
 * timeline order, and the summary. A caller without {@link Role#RESTRICTED_ACCESS} gets it as
 * {@link RestrictedEntries} computes it (as if the RESTRICTED entries had never been recorded); the
 * same rule the timeline API applies, for reads that need every entry at once (the FHIR read API
 * builds resources from several entries: a hospital spell is its admission, transfers and discharge).
 *
 * <p>Read from THIS instance's stores: the caller decides where the patient lives
 * ({@link TimelineHostLookup}). Bounded as {@link RestrictedEntries} is: at most
 * {@value RestrictedEntries#MAX_CHUNKS} chunks of {@value TimelineQuery#MAX_SIZE} entries.
 *
 * @param at the moment the summary's derived views describe
 */
public record VisibleTimeline(String nhsNumber, TimelineSummary summary, List<TimelineEntry> entries, Instant at) {

    public VisibleTimeline {
        entries = List.copyOf(entries);
    }

    /**
     * The timeline of {@code nhs} as {@code caller} may see it; empty when this instance knows nothing
     * of the patient. Throws {@link org.apache.kafka.streams.errors.InvalidStateStoreException} when the
     * patient's stores are not queryable here now.
     */
    public static Optional<VisibleTimeline> read(TimelineQueries queries, String nhs, Caller caller) {
        return caller.has(Role.RESTRICTED_ACCESS) ? RestrictedEntries.timeline(queries, nhs)
                : RestrictedEntries.timelineWithout(queries, nhs);
    }
}
