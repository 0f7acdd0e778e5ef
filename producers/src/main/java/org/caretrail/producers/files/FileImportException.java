package org.caretrail.producers.files;

/** The input as a whole cannot be imported (unreadable, a bad CSV header, no --kind for CSV...). */
public class FileImportException extends RuntimeException {
    public FileImportException(String message) {
        super(message);
    }

    public FileImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
