package org.caretrail.events.serde;

/** The registry refused, could not be reached, or does not know a schema. */
public class SchemaRegistryException extends RuntimeException {

    private final int status;

    public SchemaRegistryException(String message, int status) {
        super(message);
        this.status = status;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
    }

    /** The HTTP status, or -1 when the registry could not be reached. */
    public int status() {
        return status;
    }
}
