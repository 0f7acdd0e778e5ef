package org.caretrail.producers.fhir;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.caretrail.events.InvalidCareEventException;
import org.caretrail.producers.publisher.CarePublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publishing of one FHIR request, bounded in time: every event of the request is sent and
 * acknowledged within one deadline, or the request is answered 503. When Kafka is away a send itself
 * blocks (up to the producer's max.block.ms) and then fails; the first such failure stops the sending
 * of the rest of the request, so a Bundle of a hundred entries costs one such wait, not a hundred.
 */
final class BoundedPublishing {

    private static final Logger LOG = LoggerFactory.getLogger(BoundedPublishing.class);

    private final CarePublisher publisher;
    private final Duration timeout;
    private final long deadline;
    private boolean kafkaAway;

    BoundedPublishing(CarePublisher publisher, Duration timeout) {
        this.publisher = publisher;
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
    }

    /** Sends {@code events} in order; completes when all are acknowledged, fails when any is not. */
    CompletableFuture<List<RecordMetadata>> send(List<SpecificRecord> events) {
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>(events.size());
        for (SpecificRecord event : events) {
            if (kafkaAway || System.nanoTime() > deadline) {
                futures.add(CompletableFuture.failedFuture(new TimeoutException("not sent: an earlier write of "
                        + "this request found Kafka unavailable, or the request ran out of time")));
                continue;
            }
            CompletableFuture<RecordMetadata> sent = publisher.publish(event);
            if (sent.isCompletedExceptionally()
                    && !(sent.handle((ok, error) -> error).join() instanceof InvalidCareEventException)) {
                kafkaAway = true; // failed before the send returned: no broker, or no room to queue
            }
            futures.add(sent);
        }
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
    }

    /**
     * What {@code pending} was acknowledged with.
     *
     * @throws FhirProblem 503 when it was not acknowledged before the request's deadline
     */
    List<RecordMetadata> await(CompletableFuture<List<RecordMetadata>> pending) {
        try {
            long left = Math.max(0, deadline - System.nanoTime());
            return pending.get(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while waiting for Kafka");
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            if (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            LOG.error("Kafka did not acknowledge FHIR events within {}: {}", timeout, cause.toString());
            throw unavailable("Kafka did not acknowledge the write within " + timeout.toSeconds() + " s");
        }
    }

    /** A record of a refused request on the dead-letter topic, waited for within the deadline; false if not written. */
    boolean deadLetter(byte[] original, String reason, String origin) {
        if (kafkaAway) {
            return false;
        }
        try {
            long left = Math.max(0, deadline - System.nanoTime());
            publisher.publishDeadLetter(null, original, reason, origin).get(left, TimeUnit.NANOSECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            kafkaAway = true; // the rest of the request would wait as long
            LOG.error("could not record a refused FHIR request on the dead-letter topic ({}): {}", reason,
                    (e instanceof ExecutionException ? e.getCause() : e).toString());
            return false;
        }
    }

    private static FhirProblem unavailable(String why) {
        return new FhirProblem(503, List.of(new FhirProblem.Issue(null, "not known to be stored: " + why
                + "; retry: the same request gives the same event ids, so nothing is stored twice")),
                FhirGateway.RETRY_AFTER_KAFKA_SECONDS);
    }
}
