package org.caretrail.timeline.errors;

/**
 * The schema registry could not be asked (unreachable, or a server error): the record is not at
 * fault, so it must NOT go to the dead-letter topic. The processing handler fails the task; the
 * stream thread is replaced and the record is read again.
 */
public class RegistryUnavailableException extends RuntimeException {

    public RegistryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
