package org.caretrail.timeline.processor;

/**
 * Names of the timeline's state stores: a contract (their changelog topics are
 * {@code <application.id>-<name>-changelog}); renaming one loses its state on upgrade.
 *
 * <p>Key layout (one NHS number is always 10 digits, so {@code nhs|} prefixes never overlap):
 * <ul>
 *   <li>{@link #ITEMS}: {@code nhs|TYPE|odsCode|subjectId} → {@code CareItem}: the set of the item's distinct
 *       events (one entry per care item). The set is also the item's history: "as of" queries apply the same
 *       rules to the events recorded by then, so no second copy of the events is kept;
 *   <li>{@link #ORDER}: {@code nhs|<occurredAt>|<recordedAt>|eventId|entryId} → {@code C|entryId} or
 *       {@code W|entryId} (current / withdrawn): the timeline order, for paging by range scan;
 *   <li>{@link #SUMMARIES}: {@code nhs} → {@code TimelineSummary};
 *   <li>{@link #SPELLS}: {@code nhs|odsCode|spellId|entryId} → "" for each admission, transfer and
 *       discharge: a spell's members, so one spell is recomputed without scanning all spells;
 *   <li>{@link #PENDING}: {@code nhs} → "" for patients whose care.timelines record is due;
 *   <li>{@link #MERGED_INTO}: {@code nhs} → {@link Redirects}: the NHS number the patient was merged into
 *       (MERGE or SUPERSEDE) and single visits moved to another patient: later entries for {@code nhs} follow;
 *   <li>{@link #MERGES}: {@code nhs} → {@code IdentityItem}: every merge and unmerge of {@code nhs} as the
 *       superseded number (the set decides whether and where it is merged);
 *   <li>{@link #MERGED_FROM}: {@code nhs|origin} → "" for every NHS number whose entries went on through
 *       {@code nhs} to its survivor: an unmerge of {@code nhs} takes those back too;
 *   <li>{@link #UNRESOLVED}: {@code system|value|eventId} → entry, events known only by a local
 *       identifier, held until identity resolution places them (partitioned by local identifier);
 *   <li>{@link #IDENTITY_LINKS}: {@code system|value} → the NHS number its events go to now (partitioned by
 *       local identifier);
 *   <li>{@link #IDENTITY_EVENTS}: {@code system|value} → {@code IdentityItem}: the LINKs and MERGEs of that local
 *       identifier, from which {@link #IDENTITY_LINKS} is derived.
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
    public static final String IDENTITY_EVENTS = "identity-link-events";
    public static final String MERGED_INTO = "timeline-merged-into";
    public static final String MERGES = "timeline-merges";
    public static final String MERGED_FROM = "timeline-merged-from";

    /** Greater than every character that follows {@code nhs|} in a key: the end of a prefix range. */
    public static final String END = "~";

    private TimelineStores() {
    }

    /** The stores of the timeline sub-topology (builder, merges, merge placer). */
    public static String[] timelineStores() {
        return new String[] {ITEMS, ORDER, SUMMARIES, PENDING, SPELLS, MERGED_INTO, MERGES, MERGED_FROM};
    }

    /** The stores of identity resolution (links, held events). */
    public static String[] identityStores() {
        return new String[] {IDENTITY_LINKS, IDENTITY_EVENTS, UNRESOLVED};
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
