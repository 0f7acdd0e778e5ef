package org.caretrail.timeline.processor;

/**
 * Names of the timeline's state stores: a contract (their changelog topics are
 * {@code <application.id>-<name>-changelog}); renaming one loses its state on upgrade.
 *
 * <p><b>Logged and derived.</b> Every write to a logged store is also a record on its changelog topic, inside
 * the transaction, so the write budget decides which stores are logged. Only what cannot be recomputed is:
 * the care items, the task's progress, merges and identities. The order index, the spell index, the summaries
 * and the due marks are <i>derived</i> from the items: they are kept without a changelog, and rebuilt from the
 * items whenever they may not match them (see {@link #PENDING}). Every store is cached, so several writes of one
 * key within a commit interval reach RocksDB and the changelog once.
 *
 * <p>Key layout (one NHS number is always 10 digits, so {@code nhs|} prefixes never overlap):
 * <ul>
 *   <li>{@link #ITEMS} (logged): {@code nhs|TYPE|odsCode|subjectId} → {@code CareItem}: the set of the item's
 *       distinct events (one entry per care item), stamped with the change that last touched it. The set is
 *       also the item's history: "as of" queries apply the same rules to the events recorded by then, so no
 *       second copy of the events is kept;
 *   <li>{@link #PROGRESS} (logged): {@value #SEQUENCE} → the number of changes the task has made to its items
 *       (each item is stamped with it), {@value #EMITTED} → that number when the due care.timelines records were
 *       last written;
 *   <li>{@link #ORDER} (derived): {@code nhs|<occurredAt>|<recordedAt>|eventId|entryId} → {@code C|entryId} or
 *       {@code W|entryId} (current / withdrawn): the timeline order, for paging by range scan;
 *   <li>{@link #SUMMARIES} (derived): {@code nhs} → {@code TimelineSummary};
 *   <li>{@link #SPELLS} (derived): {@code nhs|odsCode|spellId|entryId} → "" for each admission, transfer and
 *       discharge: a spell's members, so one spell is recomputed without scanning all spells;
 *   <li>{@link #PENDING} (derived): {@code nhs} → "" for patients whose care.timelines record is due, and
 *       {@value #BUILT_FROM} → the {@value #SEQUENCE} the derived stores show. When it differs from the logged
 *       one (state lost in a crash, which under exactly-once wipes the task's stores; a task that ran on another
 *       instance meanwhile; a standby made active) the derived stores are rebuilt from the items, and every
 *       patient with an item stamped after {@value #EMITTED} is due again;
 *   <li>{@link #MERGED_INTO} (logged): {@code nhs} → {@link Redirects}: the NHS number the patient was merged
 *       into (MERGE or SUPERSEDE) and single visits moved to another patient: later entries for {@code nhs} follow;
 *   <li>{@link #MERGES} (logged): {@code nhs} → {@code IdentityItem}: every merge and unmerge of {@code nhs} as
 *       the superseded number (the set decides whether and where it is merged);
 *   <li>{@link #MERGED_FROM} (logged): {@code nhs|origin} → "" for every NHS number whose entries went on through
 *       {@code nhs} to its survivor: an unmerge of {@code nhs} takes those back too;
 *   <li>{@link #UNRESOLVED} (logged): {@code system|value|eventId} → entry, events known only by a local
 *       identifier, held until identity resolution places them (partitioned by local identifier);
 *   <li>{@link #IDENTITY_LINKS} (logged): {@code system|value} → the NHS number its events go to now
 *       (partitioned by local identifier);
 *   <li>{@link #IDENTITY_EVENTS} (logged): {@code system|value} → {@code IdentityItem}: the LINKs and MERGEs of
 *       that local identifier, from which {@link #IDENTITY_LINKS} is derived.
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
    public static final String PROGRESS = "timeline-progress";

    /** {@link #PROGRESS} key: changes made to the task's items so far. */
    public static final String SEQUENCE = "sequence";
    /** {@link #PROGRESS} key: {@link #SEQUENCE} when the due care.timelines records were last written. */
    public static final String EMITTED = "emitted";
    /** {@link #PENDING} key: the {@link #SEQUENCE} the derived stores show (never an NHS number). */
    public static final String BUILT_FROM = "#built-from";

    /** Greater than every character that follows {@code nhs|} in a key: the end of a prefix range. */
    public static final String END = "~";

    private TimelineStores() {
    }

    /** The stores of the timeline sub-topology (builder, merges, merge placer). */
    public static String[] timelineStores() {
        return new String[] {ITEMS, PROGRESS, ORDER, SUMMARIES, PENDING, SPELLS, MERGED_INTO, MERGES, MERGED_FROM};
    }

    /** The stores derived from {@link #ITEMS}: kept without a changelog, rebuilt when they may not match. */
    public static String[] derivedStores() {
        return new String[] {ORDER, SUMMARIES, SPELLS, PENDING};
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
