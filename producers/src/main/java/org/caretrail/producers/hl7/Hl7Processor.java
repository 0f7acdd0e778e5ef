package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.AcknowledgmentCode;
import io.micrometer.core.instrument.MeterRegistry;
import org.caretrail.events.metrics.CareMetrics;
import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.parser.CanonicalModelClassFactory;
import ca.uhn.hl7v2.parser.PipeParser;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.util.idgenerator.UUIDGenerator;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.EventHeader;
import org.caretrail.producers.publisher.CarePublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one HL7v2 message (text) into its acknowledgement (text), publishing on the way:
 * parse (any 2.x, read as 2.5) → is it a repeat? (message log) → map ({@link AdtMapper}) →
 * validate → publish and wait for Kafka's acknowledgement → record in the message log → ACK.
 *
 * <ul>
 *   <li>AA only after every event of the message is acknowledged by Kafka (acks=all).</li>
 *   <li>A repeat — the same MSH-4/MSH-3/MSH-10 and the same content ({@link ContentHash}) — is
 *       answered AA "duplicate" and not published again; one still in flight is waited for.</li>
 *   <li>The same control id with <em>different</em> content is a different message: it is published
 *       (its event ids are seeded by the content hash as well, so they differ from the first
 *       message's), answered AA, logged as a warning and counted ({@link #reusedControlIds()}).
 *       Published rather than refused (AE) because the content is valid care data a clinician
 *       needs, and a sender that reuses ids (a restarted counter, two feeds behind one engine)
 *       would otherwise lose every such message, silently for the patient; the warning and the
 *       counter tell the operator to fix the sender.</li>
 *   <li>AE (invalid content) and AR (type not handled, unparseable) after the original message has
 *       been written to {@code care.dead-letter} with the reason.</li>
 *   <li>AR when Kafka does not acknowledge within {@link Hl7Settings#publishTimeout()} (10 s by
 *       default, inside senders' usual timeouts, whatever the producer's own timeouts): the
 *       sender should resend, and a resend publishes the same event ids.</li>
 * </ul>
 * Thread-safe: one instance serves every connection.
 */
public final class Hl7Processor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Hl7Processor.class);
    static final String ORIGIN = "hl7v2-mllp";
    private static final DateTimeFormatter HL7_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss.SSSZ")
            .withZone(ZoneOffset.UTC);

    private final CarePublisher publisher;
    private final Hl7MessageLog log;
    private final Hl7Settings settings;
    private final AdtMapper mapper;
    private final CareEventValidator validator = new CareEventValidator();
    /** One parser per connection thread: HAPI does not promise a parser is safe to share. */
    private final ThreadLocal<PipeParser> parsers = ThreadLocal.withInitial(Hl7Processor::newParser);
    private final Clock clock;
    private final Map<String, CompletableFuture<Boolean>> inFlight = new HashMap<>();
    /** Sends to Kafka off the connection thread, so a producer blocked on a lost broker cannot hold a sender past the timeout. */
    private final ThreadPoolExecutor sends;
    private final LongAdder reusedControlIds = new LongAdder();
    private final LongAdder unrecorded = new LongAdder();
    private volatile MeterRegistry meters;

    public Hl7Processor(CarePublisher publisher, Hl7MessageLog log, Hl7Settings settings) {
        this(publisher, log, settings, Clock.systemUTC());
    }

    Hl7Processor(CarePublisher publisher, Hl7MessageLog log, Hl7Settings settings, Clock clock) {
        this.publisher = publisher;
        this.log = log;
        this.settings = settings;
        this.mapper = new AdtMapper(settings);
        this.clock = clock;
        AtomicInteger ids = new AtomicInteger();
        this.sends = new ThreadPoolExecutor(0, Math.max(4, settings.maxConnections() * 2), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "hl7-publish-" + ids.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Reads the message log (before the listener accepts a connection). */
    public void start() {
        log.start();
    }

    /** A lenient parser: any 2.x version read into the 2.5 model, our own checks instead of HAPI's. */
    static PipeParser newParser() {
        HapiContext context = new DefaultHapiContext();
        context.setValidationContext(ValidationContextFactory.noValidation());
        context.setModelClassFactory(new CanonicalModelClassFactory("2.5"));
        // ACK control ids: HAPI's default writes an id file into the working directory
        context.getParserConfiguration().setIdGenerator(new UUIDGenerator());
        return context.getPipeParser();
    }

    /** The outcome of one message: its ACK code, the reason, how many events were published. */
    public record Outcome(AcknowledgmentCode code, String text, int published, String ack) {
    }

    /** Processes {@code raw} and returns the ACK message to send back. Blocks until Kafka answers or the timeout. */
    public String process(String raw) {
        return handle(raw).ack();
    }

    /**
     * Processes {@code raw}: validate, publish, ACK. Counted on {@link CareMetrics#MLLP_MESSAGES} by
     * trigger and ACK code when {@link #meterWith meters} were given.
     */
    public Outcome handle(String raw) {
        Outcome outcome = handleMessage(raw);
        count(raw, outcome.code());
        return outcome;
    }

    /**
     * Counts every message answered from now on on {@code registry}: {@link CareMetrics#MLLP_MESSAGES}
     * with the trigger ({@link CareMetrics#hl7Trigger}: ADT_A01 ..., never anything from the message's
     * content) and the ACK code.
     */
    public Hl7Processor meterWith(MeterRegistry registry) {
        this.meters = registry;
        return this;
    }

    private void count(String raw, AcknowledgmentCode code) {
        MeterRegistry registry = meters;
        if (registry != null) {
            registry.counter(CareMetrics.MLLP_MESSAGES, CareMetrics.TRIGGER, triggerLabel(raw),
                    CareMetrics.ACK, CareMetrics.ackCode(code.name())).increment();
        }
    }

    /** The trigger label of a raw message, read from MSH-9 (type^trigger) without parsing the rest. */
    static String triggerLabel(String raw) {
        String msh = raw == null ? "" : normalise(raw).split("\r", 2)[0];
        if (msh.length() < 5 || !msh.startsWith("MSH")) {
            return CareMetrics.hl7Trigger(null, null);
        }
        String[] f = msh.split(java.util.regex.Pattern.quote(String.valueOf(msh.charAt(3))), -1);
        String[] type = field(f, 8, "").split(java.util.regex.Pattern.quote(String.valueOf(msh.charAt(4))), -1);
        return CareMetrics.hl7Trigger(type[0], type.length > 1 ? type[1] : "");
    }

    private Outcome handleMessage(String raw) {
        long deadline = System.nanoTime() + settings.publishTimeout().toNanos();
        Message message;
        try {
            message = parsers.get().parse(normalise(raw));
        } catch (HL7Exception | RuntimeException e) {
            return reject(raw, null, AcknowledgmentCode.AR, "message cannot be parsed as HL7v2: " + e.getMessage(),
                    null, deadline);
        }
        AdtMapper.MessageKey key;
        try {
            key = mapper.key(message);
        } catch (Hl7Rejection e) {
            return reject(raw, message, e.code(), e.reason(), null, deadline);
        }
        String contentHash = ContentHash.of(raw);
        String dedupKey = Hl7MessageLog.messageKey(key) + "|" + contentHash;
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        CompletableFuture<Boolean> earlier;
        synchronized (inFlight) {
            earlier = inFlight.putIfAbsent(dedupKey, mine);
        }
        if (earlier != null) {
            return waitForEarlier(message, key, earlier, deadline);
        }
        boolean published = false;
        try {
            Outcome outcome = publishOnce(raw, message, key, contentHash, deadline);
            published = outcome.code() == AcknowledgmentCode.AA;
            return outcome;
        } finally {
            synchronized (inFlight) {
                inFlight.remove(dedupKey, mine);
            }
            mine.complete(published);
        }
    }

    private Outcome publishOnce(String raw, Message message, AdtMapper.MessageKey key, String contentHash,
                                long deadline) {
        MessageLogIndex.Seen seen = log.seen(key, contentHash);
        if (seen == MessageLogIndex.Seen.REPEAT) {
            LOG.debug("message {} received again with the same content: already published, acknowledged without "
                    + "publishing", key);
            return ack(message, AcknowledgmentCode.AA, "duplicate of message " + key.controlId() + ": already published", 0);
        }
        AdtMapper.Result result;
        try {
            result = mapper.map(message, contentHash, log);
        } catch (Hl7Rejection e) {
            return reject(raw, message, e.code(), e.reason(), key, deadline);
        }
        List<SpecificRecord> events = result.events();
        List<String> problems = events.stream()
                .flatMap(event -> validator.problems(event).stream().map(p -> describe(event) + ": " + p))
                .toList();
        if (!problems.isEmpty()) {
            return reject(raw, message, AcknowledgmentCode.AE, String.join("; ", problems), key, deadline);
        }
        if (!events.isEmpty()) {
            try {
                await(() -> publisher.publishBatch(events), deadline);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ack(message, AcknowledgmentCode.AR, "interrupted while waiting for Kafka: resend", 0);
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                LOG.error("Kafka did not acknowledge ADT^{} {} within {}: {}", result.trigger(), key,
                        settings.publishTimeout(), cause.toString());
                return ack(message, AcknowledgmentCode.AR, "not stored: Kafka did not acknowledge the write within "
                        + settings.publishTimeout().toSeconds() + " s; resend", 0);
            }
        }
        remember(key, contentHash, result, deadline);
        if (seen == MessageLogIndex.Seen.CONTROL_ID_REUSED) {
            reusedControlIds.increment();
            LOG.warn("message control id {} was used before for a message with different content: published this "
                    + "one as a different message (ADT^{}, {} event(s)); the sender should not reuse MSH-10", key,
                    result.trigger(), events.size());
        }
        LOG.debug("ADT^{} {} published {} event(s)", result.trigger(), key, events.size());
        return ack(message, AcknowledgmentCode.AA, result.note(), events.size());
    }

    /** Records the message and its items in the log; a failure is logged and counted, the message stays acknowledged. */
    private void remember(AdtMapper.MessageKey key, String contentHash, AdtMapper.Result result, long deadline) {
        Instant at = clock.instant();
        List<PublishedItem> items = result.mapped().stream()
                .map(m -> PublishedItem.of(m.event(), m.visit(), m.fingerprint(), at)).toList();
        try {
            CompletableFuture<Void> written = log.record(key, contentHash, items);
            written.get(Math.max(1000, remainingMillis(deadline)), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unrecorded.increment();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            unrecorded.increment();
            LOG.warn("message {} was published but the message log did not record it ({}): a resend to another "
                    + "instance would be published again with the same event ids", key, e.toString());
        }
    }

    private Outcome waitForEarlier(Message message, AdtMapper.MessageKey key, CompletableFuture<Boolean> earlier,
                                   long deadline) {
        try {
            if (earlier.get(remainingMillis(deadline), TimeUnit.MILLISECONDS)) {
                LOG.debug("message {} received again while the first delivery was in flight: acknowledged once "
                        + "published", key);
                return ack(message, AcknowledgmentCode.AA, "duplicate of message " + key.controlId()
                        + ": already published", 0);
            }
            return ack(message, AcknowledgmentCode.AR, "an earlier delivery of message " + key.controlId()
                    + " was not stored: resend", 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ack(message, AcknowledgmentCode.AR, "interrupted while waiting for Kafka: resend", 0);
        } catch (ExecutionException | TimeoutException e) {
            return ack(message, AcknowledgmentCode.AR, "an earlier delivery of message " + key.controlId()
                    + " is still waiting for Kafka: resend", 0);
        }
    }

    /** Runs a send off this thread and waits for its acknowledgement until {@code deadline}. */
    private <T> T await(Supplier<CompletableFuture<T>> send, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        CompletableFuture<T> acknowledged;
        try {
            acknowledged = CompletableFuture.supplyAsync(send, sends).thenCompose(f -> f);
        } catch (RejectedExecutionException e) {
            throw new TimeoutException("too many messages are already waiting for Kafka");
        }
        return acknowledged.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
    }

    private static long remainingMillis(long deadline) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private Outcome reject(String raw, Message message, AcknowledgmentCode code, String reason,
                           AdtMapper.MessageKey key, long deadline) {
        String dlqKey = key != null ? key.toString() : keyOf(message);
        LOG.warn("rejecting HL7 message {} with {}: {}", dlqKey, code, reason);
        try {
            await(() -> publisher.publishDeadLetter(dlqKey, raw.getBytes(settings.charset()), code + ": " + reason,
                    ORIGIN), deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ackOrFallback(raw, message, AcknowledgmentCode.AR, "interrupted while recording the rejection ("
                    + reason + "): resend");
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            LOG.error("could not write rejected message {} to the dead-letter topic: {}", dlqKey, cause.toString());
            return ackOrFallback(raw, message, AcknowledgmentCode.AR, "could not record the rejection (" + reason
                    + ") on the dead-letter topic: resend");
        }
        return ackOrFallback(raw, message, code, reason);
    }

    /** An AR for a frame the listener refused before reading it whole (too long): built from what was read. */
    String refuse(String partial, String reason) {
        LOG.warn("refusing an MLLP frame: {}", reason);
        count(partial, AcknowledgmentCode.AR);
        return fallbackAck(partial, AcknowledgmentCode.AR, reason);
    }

    private Outcome ackOrFallback(String raw, Message message, AcknowledgmentCode code, String reason) {
        if (message != null) {
            return ack(message, code, reason, 0);
        }
        return new Outcome(code, reason, 0, fallbackAck(raw, code, reason));
    }

    private Outcome ack(Message message, AcknowledgmentCode code, String text, int published) {
        try {
            Message ack = code == AcknowledgmentCode.AA
                    ? message.generateACK()
                    : message.generateACK(code, new HL7Exception(text));
            if (text != null) {
                new Terser(ack).set("/MSA-3", truncate(text, 200));
            }
            return new Outcome(code, text, published, parsers.get().encode(ack));
        } catch (HL7Exception | IOException | RuntimeException e) {
            LOG.warn("HAPI could not build the ACK ({}); building it by hand", e.toString());
            return new Outcome(code, text, published, fallbackAck(encodeOrEmpty(message), code,
                    text == null ? "" : text));
        }
    }

    private static String encodeOrEmpty(Message message) {
        try {
            return message.encode();
        } catch (HL7Exception e) {
            return "";
        }
    }

    /** An ACK built from the raw MSH when the message could not be parsed: sender and receiver swapped. */
    String fallbackAck(String raw, AcknowledgmentCode code, String reason) {
        String msh = normalise(raw == null ? "" : raw).split("\r", 2)[0];
        char sep = msh.length() > 3 && msh.startsWith("MSH") ? msh.charAt(3) : '|';
        String[] f = msh.split(java.util.regex.Pattern.quote(String.valueOf(sep)), -1);
        String enc = field(f, 1, "^~\\&");
        String controlId = clean(field(f, 9, ""), 50);
        String version = clean(field(f, 11, "2.5"), 10);
        String s = String.valueOf(sep);
        String now = HL7_TIME.format(clock.instant());
        return String.join(s, "MSH", clean(enc, 4), clean(field(f, 4, ""), 50), clean(field(f, 5, ""), 50),
                clean(field(f, 2, ""), 50), clean(field(f, 3, ""), 50), now, "", "ACK", "ACK" + controlId,
                clean(field(f, 10, "P"), 3), version)
                + "\r" + String.join(s, "MSA", code.name(), controlId, clean(reason, 80)) + "\r";
    }

    private static String field(String[] fields, int index, String otherwise) {
        return index < fields.length && !fields[index].isEmpty() ? fields[index] : otherwise;
    }

    /** For the hand-built ACK: no delimiters or control characters, at most {@code max} characters. */
    private static String clean(String text, int max) {
        return truncate(text.replaceAll("[|^~\\\\&\\p{Cntrl}]", " "), max);
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 3) + "...";
    }

    private static String normalise(String raw) {
        return raw.replace("\r\n", "\r").replace('\n', '\r').strip();
    }

    private String keyOf(Message message) {
        if (message == null) {
            return null;
        }
        try {
            return mapper.key(message).toString();
        } catch (Hl7Rejection e) {
            return null;
        }
    }

    private static String describe(SpecificRecord event) {
        EventHeader h = CareEvents.header(event);
        return event.getSchema().getName() + " " + h.getSubjectId();
    }

    /** Messages published under a control id already used for other content (see the class comment). */
    public long reusedControlIds() {
        return reusedControlIds.sum();
    }

    /** Messages published but not recorded in the message log (Kafka refused the log's write). */
    public long unrecordedMessages() {
        return unrecorded.sum();
    }

    public Hl7MessageLog messageLog() {
        return log;
    }

    /** Stops the send threads and closes the message log. */
    @Override
    public void close() {
        sends.shutdown();
        log.close();
    }
}
