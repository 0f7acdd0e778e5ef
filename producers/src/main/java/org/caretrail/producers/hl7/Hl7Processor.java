package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.AcknowledgmentCode;
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
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.Transfer;
import org.caretrail.producers.publisher.CarePublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one HL7v2 message (text) into its acknowledgement (text), publishing on the way:
 * parse (any 2.x, read as 2.5) → de-duplicate by MSH-4/MSH-3/MSH-10 → map ({@link AdtMapper}) →
 * validate → publish and wait for Kafka's acknowledgement → ACK.
 *
 * <ul>
 *   <li>AA only after every event of the message is acknowledged by Kafka (acks=all).</li>
 *   <li>AE (invalid content) and AR (type not handled, unparseable) after the original message has
 *       been written to {@code care.dead-letter} with the reason.</li>
 *   <li>AR too when Kafka does not acknowledge within the publish timeout: the sender should resend,
 *       and a resend publishes the same event ids (consumers de-duplicate by eventId).</li>
 *   <li>A message whose key was published recently (bounded memory) is answered AA without
 *       publishing again; one still in flight is waited for.</li>
 * </ul>
 * Thread-safe: one instance serves every connection.
 */
public final class Hl7Processor {

    private static final Logger LOG = LoggerFactory.getLogger(Hl7Processor.class);
    static final String ORIGIN = "hl7v2-mllp";
    private static final DateTimeFormatter HL7_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss.SSSZ")
            .withZone(ZoneOffset.UTC);

    private final CarePublisher publisher;
    private final Hl7Settings settings;
    private final AdtMapper mapper;
    private final CareEventValidator validator = new CareEventValidator();
    /** One parser per connection thread: HAPI does not promise a parser is safe to share. */
    private final ThreadLocal<PipeParser> parsers = ThreadLocal.withInitial(Hl7Processor::newParser);
    private final Clock clock;
    private final Map<String, CompletableFuture<Void>> recent;
    private final Map<String, Deque<String>> transfersBySpell;

    public Hl7Processor(CarePublisher publisher, Hl7Settings settings) {
        this(publisher, settings, Clock.systemUTC());
    }

    Hl7Processor(CarePublisher publisher, Hl7Settings settings, Clock clock) {
        this.publisher = publisher;
        this.settings = settings;
        this.mapper = new AdtMapper(settings);
        this.clock = clock;
        int capacity = settings.recentMessageIds();
        this.recent = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<Void>> eldest) {
                return size() > capacity;
            }
        };
        this.transfersBySpell = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Deque<String>> eldest) {
                return size() > capacity;
            }
        };
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

    /** Processes {@code raw} and returns the ACK message to send back. Blocks until Kafka answers. */
    public String process(String raw) {
        return handle(raw).ack();
    }

    public Outcome handle(String raw) {
        Message message;
        try {
            message = parsers.get().parse(normalise(raw));
        } catch (HL7Exception | RuntimeException e) {
            String reason = "message cannot be parsed as HL7v2: " + e.getMessage();
            return reject(raw, null, AcknowledgmentCode.AR, reason, null);
        }
        AdtMapper.MessageKey key;
        AdtMapper.Result result;
        try {
            key = mapper.key(message);
            result = mapper.map(message, this::lastTransfer);
        } catch (Hl7Rejection e) {
            return reject(raw, message, e.code(), e.reason(), null);
        }
        List<String> problems = result.events().stream()
                .flatMap(event -> validator.problems(event).stream().map(p -> describe(event) + ": " + p))
                .toList();
        if (!problems.isEmpty()) {
            return reject(raw, message, AcknowledgmentCode.AE, String.join("; ", problems), key);
        }
        String dedupKey = key.toString();
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> earlier;
        synchronized (recent) {
            earlier = recent.get(dedupKey);
            if (earlier == null || earlier.isCompletedExceptionally()) {
                recent.put(dedupKey, mine);
                earlier = null;
            }
        }
        if (earlier != null) {
            return duplicate(message, key, earlier);
        }
        try {
            CompletableFuture<Void> all = publisher.publishBatch(result.events());
            all.get(settings.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
            remember(result.events());
            mine.complete(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mine.completeExceptionally(e);
            forget(dedupKey, mine);
            return ack(message, AcknowledgmentCode.AR, "interrupted while waiting for Kafka: resend", 0);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            mine.completeExceptionally(cause);
            forget(dedupKey, mine);
            LOG.error("Kafka did not acknowledge {} (MSH-10 {}): {}", result.trigger(), key, cause.toString());
            return ack(message, AcknowledgmentCode.AR, "not stored: Kafka did not acknowledge the write ("
                    + cause.getMessage() + "); resend", 0);
        }
        LOG.debug("ADT^{} {} published {} event(s)", result.trigger(), key, result.events().size());
        return ack(message, AcknowledgmentCode.AA, result.note(), result.events().size());
    }

    private Outcome duplicate(Message message, AdtMapper.MessageKey key, CompletableFuture<Void> earlier) {
        try {
            earlier.get(settings.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("message {} received again: already published, acknowledged without publishing", key);
            return ack(message, AcknowledgmentCode.AA, "duplicate of message " + key.controlId()
                    + ": already published", 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ack(message, AcknowledgmentCode.AR, "interrupted while waiting for Kafka: resend", 0);
        } catch (ExecutionException | TimeoutException e) {
            return ack(message, AcknowledgmentCode.AR, "an earlier delivery of message " + key.controlId()
                    + " was not stored: resend", 0);
        }
    }

    private Outcome reject(String raw, Message message, AcknowledgmentCode code, String reason,
                           AdtMapper.MessageKey key) {
        String dlqKey = key != null ? key.toString() : keyOf(message);
        LOG.warn("rejecting HL7 message {} with {}: {}", dlqKey, code, reason);
        try {
            publisher.publishDeadLetter(dlqKey, raw.getBytes(settings.charset()), code + ": " + reason, ORIGIN)
                    .get(settings.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
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
            return new Outcome(code, text, published, fallbackAck(encodeOrEmpty(message), code, text == null ? "" : text));
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
        String controlId = field(f, 9, "");
        String version = field(f, 11, "2.5");
        String s = String.valueOf(sep);
        String now = HL7_TIME.format(clock.instant());
        return String.join(s, "MSH", enc, field(f, 4, ""), field(f, 5, ""), field(f, 2, ""), field(f, 3, ""),
                now, "", "ACK", "ACK" + controlId, field(f, 10, "P"), version)
                + "\r" + String.join(s, "MSA", code.name(), controlId, clean(reason, 80)) + "\r";
    }

    private static String field(String[] fields, int index, String otherwise) {
        return index < fields.length && !fields[index].isEmpty() ? fields[index] : otherwise;
    }

    /** For the hand-built ACK: no delimiters, at most {@code max} characters. */
    private static String clean(String text, int max) {
        return truncate(text.replaceAll("[|^~\\\\&\r\n]", " "), max);
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

    private void forget(String dedupKey, CompletableFuture<Void> mine) {
        synchronized (recent) {
            recent.remove(dedupKey, mine);
        }
    }

    private Optional<String> lastTransfer(String spellKey) {
        synchronized (transfersBySpell) {
            Deque<String> transfers = transfersBySpell.get(spellKey);
            return transfers == null || transfers.isEmpty() ? Optional.empty() : Optional.of(transfers.peekLast());
        }
    }

    /** Keeps, per spell, the transfers published and not cancelled: what an A12 without EVN-6 cancels. */
    private void remember(List<SpecificRecord> events) {
        for (SpecificRecord event : events) {
            if (event instanceof Transfer transfer) {
                EventHeader h = transfer.getHeader();
                String spellKey = h.getSource().getOdsCode() + "|" + transfer.getSpellId();
                synchronized (transfersBySpell) {
                    Deque<String> transfers = transfersBySpell.computeIfAbsent(spellKey, k -> new ArrayDeque<>());
                    if (h.getAction() == Action.CANCEL) {
                        transfers.remove(h.getSubjectId());
                    } else if (h.getSubjectId().contains("/transfer/") && !transfers.contains(h.getSubjectId())) {
                        transfers.addLast(h.getSubjectId());
                        if (transfers.size() > 32) {
                            transfers.removeFirst();
                        }
                    }
                }
            }
        }
    }
}
