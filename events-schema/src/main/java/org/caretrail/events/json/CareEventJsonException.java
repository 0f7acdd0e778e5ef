package org.caretrail.events.json;

/** JSON that does not match the event contract; the message names the field and what is wrong. */
public class CareEventJsonException extends IllegalArgumentException {
    public CareEventJsonException(String message) {
        super(message);
    }
}
