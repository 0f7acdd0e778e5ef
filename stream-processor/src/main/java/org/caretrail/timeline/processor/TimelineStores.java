package org.caretrail.timeline.processor;

/**
 * Names of the timeline's state stores: a contract (their changelog topics are
 * {@code <application.id>-<name>-changelog}); renaming one loses its state on upgrade.
 *
 * <p>Key layout (one NHS number is always 10 digits, so {@code nhs|} prefixes never overlap):
 * <ul>
 *   <li>{@link #ITEMS}: {@code nhs|TYPE|odsCode|subjectId} → {@code CareItem} (one entry per care item);
 *   <li>{@link #ORDER}: {@code nhs|<occurredAt>|<recordedAt>|eventId|entryId} → {@code C|entryId} or
 *       {@code W|entryId} (current / withdrawn): the timeline order, for paging by range scan;
 *   <li>{@link #SUMMARIES}: {@code nhs} → {@code TimelineSummary};
 *   <li>{@link #EVENTS}: {@code nhs|entryId|eventId|action|version} → entry: every distinct event of every item, for
 *       "as of" queries (what was known from events recorded at or before a moment);
 *   <li>{@link #SPELLS}: {@code nhs|odsCode|spellId|entryId} → "" for each admission, transfer and
 *       discharge: a spell's members, so one spell is recomputed without scanning all spells;
 *   <li>{@link #PENDING}: {@code nhs} → "" for patients whose care.timelines record is due;
 *   <li>{@link #UNRESOLVED}: {@code system|value|eventId} → entry, events known only by a local
 *       identifier, held until identity resolution places them (partitioned by local identifier);
 *   <li>{@link #IDENTITY_LINKS}: {@code system|value} → NHS number (partitioned by local identifier);
 *   <li>{@link #MERGED_INTO}: {@code nhs} → the surviving NHS number, for a patient merged away (MERGE or
 *       SUPERSEDE): later entries for {@code nhs} follow to the survivor (partitioned by NHS number).
 * </ul>
 */
public final class TimelineStores {

    public static final String ITEMS = "timeline-items";
    public static final String ORDER = "timeline-order";
    public static final String SUMMARIES = "timeline-summaries";
    public static final String PENDING = "timeline-pending";
    public static final String UNRESOLVED = "timeline-unresolved";
    public static final String SPELLS = "timeline-spells";
    public static final String IDENTITY_LINKS = "identity-links";
    public static final String EVENTS = "timeline-event-history";
    public static final String MERGED_INTO = "timeline-merged-into";

    /** Greater than every character that follows {@code nhs|} in a key: the end of a prefix range. */
    public static final String END = "~";

    private TimelineStores() {
    }

    /** First key of a patient's range. */
    public static String from(String nhs) {
        return nhs + "|";
    }

    /** Last key (inclusive bound) of a patient's range. */
    public static String to(String nhs) {
        return nhs + "|" + END;
    }
}
