package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.AcknowledgmentCode;

/**
 * Why a message is not accepted, with the acknowledgement code the sender gets: AE (application
 * error: the content is invalid, e.g. a bad NHS number, an admission without PV1, an unparseable
 * date; re-sending the same message will not help) or AR (application reject: a message type we do
 * not handle, a message we cannot parse at all, or Kafka unavailable).
 */
public final class Hl7Rejection extends RuntimeException {

    private final AcknowledgmentCode code;

    private Hl7Rejection(AcknowledgmentCode code, String reason) {
        super(reason);
        this.code = code;
    }

    public static Hl7Rejection error(String reason) {
        return new Hl7Rejection(AcknowledgmentCode.AE, reason);
    }

    public static Hl7Rejection reject(String reason) {
        return new Hl7Rejection(AcknowledgmentCode.AR, reason);
    }

    public AcknowledgmentCode code() {
        return code;
    }

    public String reason() {
        return getMessage();
    }
}
