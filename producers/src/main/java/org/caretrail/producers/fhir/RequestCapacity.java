package org.caretrail.producers.fhir;

import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * How much the FHIR gateway takes on at once, so no number of senders can exhaust its memory: a
 * permit per request in flight, and a permit per request byte buffered (bodies are parsed whole, and
 * parsing takes many times a body's size for a moment). Neither waits: a request that finds no room
 * is refused at once (503 with Retry-After), so a flood costs the gateway nothing but the refusals.
 */
final class RequestCapacity {

    private final Semaphore requests;
    private final Semaphore bytes;
    private final int maxRequests;
    private final long maxBytes;

    RequestCapacity(int maxRequests, long maxBytes) {
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
        this.requests = new Semaphore(maxRequests);
        // a Semaphore counts in ints: budgets beyond 2 GiB are counted in KiB
        this.bytes = new Semaphore((int) Math.min(Integer.MAX_VALUE, units(maxBytes)));
    }

    /** Room for one more request, or empty when {@code maxRequests} are in flight. */
    Optional<Ticket> admit() {
        return requests.tryAcquire() ? Optional.of(new Ticket()) : Optional.empty();
    }

    int maxRequests() {
        return maxRequests;
    }

    long maxBytes() {
        return maxBytes;
    }

    /** Requests in flight now (for tests and metrics). */
    int requestsInFlight() {
        return maxRequests - requests.availablePermits();
    }

    private long units(long byteCount) {
        return maxBytes > Integer.MAX_VALUE ? (byteCount + 1023) / 1024 : byteCount;
    }

    /** One admitted request: what it holds is given back, all of it, on {@link #close()}. */
    final class Ticket implements AutoCloseable {
        private int heldUnits;
        private boolean closed;

        /** Room for {@code count} more buffered bytes; false (nothing taken) when the budget is spent. */
        synchronized boolean reserve(long count) {
            int units = (int) Math.min(Integer.MAX_VALUE, RequestCapacity.this.units(count));
            if (closed || !bytes.tryAcquire(units)) {
                return false;
            }
            heldUnits += units;
            return true;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            bytes.release(heldUnits);
            heldUnits = 0;
            requests.release();
        }
    }
}
