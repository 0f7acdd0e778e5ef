package org.caretrail.events.metrics;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one place that names CareTrail's own meters and says what their labels may hold. Every module that
 * counts something an operator watches (the MLLP listener, the FHIR server, the publisher, the stream
 * processor, subscriptions) takes its meter name and its label values from here, so the dashboard and
 * the alert rules in {@code deploy/monitoring} have one vocabulary to follow.
 *
 * <p>Names are Micrometer's dotted form; Prometheus renders {@code caretrail.mllp.messages} (a counter)
 * as {@code caretrail_mllp_messages_total} and a gauge as is, dots turned into underscores.
 *
 * <p><b>Labels are low cardinality, always.</b> A label value is never an NHS number, a local patient
 * identifier, a callback URL or free text from a sender: each label below has a small fixed set of
 * values, and anything outside it becomes {@link #OTHER}. A hostile sender can therefore not grow the
 * number of series (each series costs memory in this process and in Prometheus) nor smuggle patient
 * data into the metrics.
 */
public final class CareMetrics {

    /** HL7v2 messages answered on MLLP. Labels: {@link #TRIGGER}, {@link #ACK}. */
    public static final String MLLP_MESSAGES = "caretrail.mllp.messages";
    /** FHIR R4 requests answered. Labels: {@link #RESOURCE}, {@link #METHOD}, {@link #STATUS}. */
    public static final String FHIR_REQUESTS = "caretrail.fhir.requests";
    /** Care events the broker acknowledged, by the adapters' publisher. Label: {@link #EVENT_TYPE}. */
    public static final String EVENTS_PUBLISHED = "caretrail.events.published";
    /** Care events the publisher refused before sending (invalid) or the broker did not take. Labels: {@link #EVENT_TYPE}, {@link #REASON}. */
    public static final String EVENTS_REJECTED = "caretrail.events.rejected";
    /** Records written to {@code care.dead-letter} by any writer, seen since start. Labels: {@link #REASON}, {@link #ORIGIN}. */
    public static final String DEAD_LETTERS = "caretrail.dead.letters";
    /** Records on the timeline's input topics not yet processed (end offsets minus committed offsets, summed). */
    public static final String TIMELINE_LAG = "caretrail.timeline.lag.records";
    /** Seconds since the newest record on {@code care.timeline-changes} (its record time). */
    public static final String TIMELINE_FRESHNESS = "caretrail.timeline.freshness.seconds";
    /** Events held because they carry only a local identifier, waiting for identity resolution. */
    public static final String TIMELINE_HELD = "caretrail.timeline.unresolved.events";
    /** 1 while the timeline stream processor is RUNNING. */
    public static final String TIMELINE_RUNNING = "caretrail.timeline.running";
    /** Subscriptions being delivered by this instance. Label: {@link #STATE}. */
    public static final String SUBSCRIPTIONS = "caretrail.subscriptions";
    /** Timeline changes not yet delivered, skipped or parked, summed over the subscriptions delivered here. */
    public static final String DELIVERY_LAG = "caretrail.delivery.lag";
    /** Deliveries parked (given up on after the retry budget, kept for redelivery), summed over subscriptions. */
    public static final String DELIVERY_PARKED = "caretrail.delivery.parked";
    /** Webhook attempts that failed and will be retried (since each subscription's worker started here). */
    public static final String DELIVERY_RETRIES = "caretrail.delivery.retries";
    /** Notifications the receivers accepted (since each subscription's worker started here). */
    public static final String DELIVERY_DELIVERED = "caretrail.delivery.delivered";
    /** One subscription's delivery lag. Label: {@link #SUBSCRIPTION}. */
    public static final String SUBSCRIPTION_LAG = "caretrail.subscription.lag";
    /** One subscription's parked deliveries. Label: {@link #SUBSCRIPTION}. */
    public static final String SUBSCRIPTION_PARKED = "caretrail.subscription.parked";

    /** 1 while a part of {@code /health} is UP, else 0. Label: {@link #PART} (broker, registry, timeline, mllp, delivery). */
    public static final String HEALTH_UP = "caretrail.health.up";

    public static final String PART = "part";
    public static final String TRIGGER = "trigger";
    public static final String ACK = "ack";
    public static final String RESOURCE = "resource";
    public static final String METHOD = "method";
    public static final String STATUS = "status";
    public static final String EVENT_TYPE = "type";
    public static final String REASON = "reason";
    public static final String ORIGIN = "origin";
    public static final String STATE = "state";
    /** A subscription's id: bounded by the per-caller cap on subscriptions; never its callback URL. */
    public static final String SUBSCRIPTION = "subscription";

    /** The value of a label whose input was outside the known set. */
    public static final String OTHER = "other";

    /** The ACK codes of HL7v2 (table 0008, original mode). */
    public static final Set<String> ACK_CODES = Set.of("AA", "AE", "AR");
    /** Every value {@link #deadLetterReason} gives. */
    public static final Set<String> DEAD_LETTER_REASONS = Set.of("invalid-event", "refused-message", "undecodable",
            "oversized", "unresolved-identity", "processing-error", "output-error", OTHER);
    /** Every value {@link #deadLetterOrigin} gives. */
    public static final Set<String> DEAD_LETTER_ORIGINS = Set.of("mllp", "fhir", "timeline", "files", OTHER);
    private static final Pattern ADT_TRIGGER = Pattern.compile("A[0-9]{2}");
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");

    private CareMetrics() {
    }

    /**
     * An HL7v2 trigger as a label: {@code ADT_A01} for an ADT message (MSH-9.1 ADT, MSH-9.2 A00-A99),
     * {@code unparsed} when the message could not be read, else {@link #OTHER}. At most 102 values.
     */
    public static String hl7Trigger(String messageType, String triggerEvent) {
        if (messageType == null && triggerEvent == null) {
            return "unparsed";
        }
        if ("ADT".equals(messageType) && triggerEvent != null && ADT_TRIGGER.matcher(triggerEvent).matches()) {
            return "ADT_" + triggerEvent;
        }
        return OTHER;
    }

    /** An ACK code as a label: AA, AE, AR, else {@link #OTHER}. */
    public static String ackCode(String code) {
        return code != null && ACK_CODES.contains(code) ? code : OTHER;
    }

    /** An HTTP status as its class: {@code 2xx} .. {@code 5xx}, else {@link #OTHER}. */
    public static String statusClass(int status) {
        return status >= 100 && status < 600 ? (status / 100) + "xx" : OTHER;
    }

    /** An HTTP method as a label: the six the APIs serve, else {@link #OTHER}. */
    public static String method(String method) {
        String m = method == null ? "" : method.toUpperCase(Locale.ROOT);
        return METHODS.contains(m) ? m : OTHER;
    }

    /** {@code value} when it is one of {@code known}, else {@link #OTHER}: for labels whose values a caller names. */
    public static String oneOf(String value, Set<String> known) {
        return value != null && known.contains(value) ? value : OTHER;
    }

    /**
     * What kind of fault put a record on the dead-letter topic, read from its reason text (the
     * {@code caretrail.reason} header that every writer sets): a small fixed set, so the free text (which
     * may name a patient's identifier) never becomes a label.
     * <ul>
     *   <li>{@code invalid-event}: the content broke the contract (HL7 AE, an invalid care event, a FHIR
     *       resource answered 422);
     *   <li>{@code refused-message}: the message was refused as a whole (HL7 AR: unparseable, type not
     *       handled; a FHIR request answered another 4xx);
     *   <li>{@code undecodable}: bytes that are not a care event (unknown schema, cannot deserialize);
     *   <li>{@code oversized}: over a size limit;
     *   <li>{@code unresolved-identity}: a local identifier never linked to an NHS number;
     *   <li>{@code processing-error} and {@code output-error}: the stream processor could not process or
     *       write a record;
     *   <li>{@link #OTHER}: anything else (e.g. a third party's own reason).
     * </ul>
     */
    public static String deadLetterReason(String reason) {
        if (reason == null) {
            return OTHER;
        }
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.startsWith("ae:")) {
            return "invalid-event";
        }
        if (r.startsWith("ar:")) {
            return "refused-message";
        }
        if (r.startsWith("413:")) { // the FHIR gateway's reasons start with the HTTP status it answered
            return "oversized";
        }
        if (r.startsWith("422:")) {
            return "invalid-event";
        }
        if (r.length() > 4 && r.charAt(0) == '4' && r.charAt(3) == ':') {
            return "refused-message";
        }
        if (r.startsWith("unresolved identity")) {
            return "unresolved-identity";
        }
        if (r.contains("limit") || r.contains("too long") || r.contains("too large") || r.contains("was not written")) {
            return "oversized";
        }
        if (r.startsWith("cannot decode") || r.startsWith("cannot deserialize") || r.startsWith("cannot serialize")
                || r.startsWith("empty record") || r.contains("schema")) {
            return "undecodable";
        }
        if (r.startsWith("processing failed")) {
            return "processing-error";
        }
        if (r.startsWith("cannot write")) {
            return "output-error";
        }
        if (r.startsWith("invalid") || r.contains("invalid") || r.contains("required")) {
            return "invalid-event";
        }
        return OTHER;
    }

    /**
     * Who wrote a dead letter, from its source header: {@code mllp}, {@code fhir}, {@code timeline} (the
     * stream processor: the header names the input topic), {@code files}, else {@link #OTHER}.
     */
    public static String deadLetterOrigin(String sourceHeader) {
        if (sourceHeader == null) {
            return OTHER;
        }
        String s = sourceHeader.toLowerCase(Locale.ROOT);
        if (s.startsWith("hl7") || s.startsWith("mllp")) {
            return "mllp";
        }
        if (s.startsWith("fhir")) {
            return "fhir";
        }
        if (s.startsWith("care.")) {
            return "timeline";
        }
        if (s.startsWith("file") || s.startsWith("import") || s.startsWith("publish")) {
            return "files";
        }
        return OTHER;
    }
}
