package org.caretrail.producers.hl7;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Transfer;
import org.caretrail.producers.simulator.EventSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventSink} that sends care events the way a hospital PAS would: as HL7v2 ADT messages
 * over MLLP to a listener ({@link MllpAdapter}), over {@code connections} connections. A send
 * completes when the ACK is AA and fails with MSA-3 otherwise. For the simulator, so part of its
 * traffic goes through the real adapter.
 *
 * <p>Sent as ADT, as NHS trusts' systems send them:
 * <ul>
 *   <li>Admission NEW A01 (or A06 when the patient came from A&amp;E: see below), UPDATE A08, CANCEL A11
 *       with PV1-2 = O (as Epic sends it: the patient's class after the cancel);</li>
 *   <li>Transfer A02 (EVN-6 = occurredAt), CANCEL A12 (EVN-6 = the transfer's time);</li>
 *   <li>Discharge A03 with PV1-36 the NHS discharge method and PV1-37 the destination; a death in
 *       hospital (destination DIED) also gives PID-29 (time of death) and PID-30 = Y; CANCEL A13;</li>
 *   <li>Attendance NEW A04 (PV1-2 = E), UPDATE A03 when departed else A08, CANCEL A11. An attendance
 *       ending ADMITTED is not sent on its own: with the admission it becomes one A06 (change to
 *       inpatient, MRG-5 = the attendance's visit), whichever of the two arrives first;</li>
 *   <li>PatientIdentity LINK A31; MERGE A40 (PID-3 = the survivor's NHS number and hospital number,
 *       MRG-1 = the retiring identifiers: a hospital number only, the usual NHS form);</li>
 *   <li>Death: not sent: in hospital it travels in the discharge's PID-29/30 (route only in-hospital
 *       deaths here).</li>
 * </ul>
 * Other types fail: route only these to this sink. MSH-10 is the eventId; MSH-7 the recordedAt (the
 * adapter's version). A resent event (same eventId) is sent as the very same message, as an
 * interface engine resends. The adapter assigns its own subjectIds to transfers
 * ({@code spell/transfer/<time>}) and discharges ({@code spell/discharge}).
 */
public final class MllpEventSink implements EventSink {

    private static final Logger LOG = LoggerFactory.getLogger(MllpEventSink.class);
    private static final Pattern MSA = Pattern.compile("(?m)MSA\\|([A-Z]{2})\\|[^|\\r]*\\|?([^|\\r]*)");
    private static final Pending STOP = new Pending(null, null);

    private record Pending(String message, CompletableFuture<String> result) {
    }

    private static final String CARRIED = "";
    private static final int REMEMBERED = 10_000;

    private final String host;
    private final int port;
    /** What each event was sent as (or {@link #CARRIED}), so a resend is the same message. */
    private final Map<String, String> sentAs = lru();
    /** Per patient: an A&amp;E attendance that ended ADMITTED, waiting for its admission. */
    private final Map<String, Attendance> admittedFromAe = lru();
    /** Per patient: an admission sent as A01, for an attendance ending ADMITTED that arrives late. */
    private final Map<String, Admission> admissionsSent = lru();
    /** One queue per connection; a patient's messages always take the same one, so they arrive in order. */
    private final List<BlockingQueue<Pending>> queues = new ArrayList<>();
    private final List<Thread> senders = new ArrayList<>();
    private volatile boolean closed;

    public MllpEventSink(String host, int port, int connections) {
        this.host = host;
        this.port = port;
        for (int i = 0; i < connections; i++) {
            BlockingQueue<Pending> queue = new LinkedBlockingQueue<>(10_000);
            queues.add(queue);
            Thread t = new Thread(() -> sendLoop(queue), "mllp-sink-" + port + "-" + i);
            t.setDaemon(true);
            t.start();
            senders.add(t);
        }
    }

    @Override
    public CompletableFuture<String> send(SpecificRecord event) {
        CompletableFuture<String> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new IllegalStateException("the MLLP sink is closed"));
            return result;
        }
        String message;
        try {
            message = plan(event);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return result;
        }
        if (message.equals(CARRIED)) {
            result.complete("AA");
            return result;
        }
        try {
            String patient = patientKey(CareEvents.header(event));
            queues.get(Math.floorMod(patient.hashCode(), queues.size())).put(new Pending(message, result));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    public String name() {
        return "mllp";
    }

    /** The message for {@code event}, or {@link #CARRIED} when another message carries it. */
    private synchronized String plan(SpecificRecord event) {
        EventHeader h = CareEvents.header(event);
        String sent = sentAs.get(h.getEventId());
        if (sent != null) {
            return sent;
        }
        String message;
        String patient = patientKey(h);
        if (event instanceof Death) {
            message = CARRIED;
        } else if (event instanceof Attendance a && h.getAction() == Action.UPDATE && "ADMITTED".equals(a.getOutcome())) {
            Admission admitted = admissionsSent.remove(patient);
            if (admitted != null) {
                message = changeToInpatient(admitted, a, h.getEventId());
            } else {
                admittedFromAe.put(patient, a);
                message = CARRIED;
            }
        } else if (event instanceof Admission a && h.getAction() == Action.NEW) {
            Attendance attendance = admittedFromAe.remove(patient);
            if (attendance != null) {
                message = changeToInpatient(a, attendance, h.getEventId());
            } else {
                admissionsSent.put(patient, a);
                message = toAdt(event);
            }
        } else {
            message = toAdt(event);
        }
        sentAs.put(h.getEventId(), message);
        return message;
    }

    /** A06: the A&amp;E patient is admitted: the spell is the admission's, MRG-5 the attendance's visit. */
    private static String changeToInpatient(Admission a, Attendance attendance, String controlId) {
        EventHeader h = a.getHeader();
        Instant admitted = attendance.getDepartedAt() != null ? attendance.getDepartedAt() : h.getOccurredAt();
        AdtMessageBuilder b = start("A06", h, controlId).patientClass("I").visitNumber(h.getSubjectId())
                .admitTime(h.getOccurredAt()).eventOccurred(admitted).location(a.getWard(), a.getSite())
                .priorWard(attendance.getDepartment()).admissionType(admissionType(a.getAdmissionMethod()))
                .mrg(5, AdtMessageBuilder.escape(attendance.getHeader().getSubjectId()));
        return b.build();
    }

    private static String patientKey(EventHeader h) {
        PatientRef p = h.getPatient();
        return p.getLocalId() != null ? p.getLocalId().getSystem() + "|" + p.getLocalId().getValue()
                : "nhs|" + p.getNhsNumber();
    }

    private static <V> Map<String, V> lru() {
        return new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > REMEMBERED;
            }
        };
    }

    /** The ADT message a PAS would send for {@code event}. */
    public static String toAdt(SpecificRecord event) {
        EventHeader h = CareEvents.header(event);
        Action action = h.getAction();
        AdtMessageBuilder b;
        if (event instanceof Admission a) {
            b = start(action == Action.CANCEL ? "A11" : action == Action.UPDATE ? "A08" : "A01", h)
                    .patientClass(action == Action.CANCEL ? "O" : "I").visitNumber(h.getSubjectId())
                    .admitTime(h.getOccurredAt()).location(a.getWard(), a.getSite())
                    .admissionType(admissionType(a.getAdmissionMethod()));
        } else if (event instanceof Transfer t) {
            b = start(action == Action.CANCEL ? "A12" : "A02", h).patientClass("I").visitNumber(t.getSpellId())
                    .eventOccurred(h.getOccurredAt()).location(t.getToWard(), t.getToSite())
                    .priorWard(t.getFromWard());
        } else if (event instanceof Discharge d) {
            b = start(action == Action.CANCEL ? "A13" : "A03", h).patientClass("I").visitNumber(d.getSpellId())
                    .location(d.getWard(), null);
            if (action != Action.CANCEL) {
                boolean died = "DIED".equals(d.getDestination());
                b.dischargeTime(h.getOccurredAt()).dischargeDisposition(died ? "4" : dischargeMethod(d))
                        .pv1(37, destinationCode(d.getDestination()));
                if (died) {
                    b.pid(29, AdtMessageBuilder.hl7Time(h.getOccurredAt())).pid(30, "Y");
                }
            }
        } else if (event instanceof Attendance a) {
            String trigger = action == Action.CANCEL ? "A11" : action == Action.NEW ? "A04"
                    : a.getDepartedAt() != null ? "A03" : "A08";
            b = start(trigger, h).patientClass("E").visitNumber(h.getSubjectId()).admitTime(h.getOccurredAt())
                    .location(a.getDepartment(), null).dischargeTime(a.getDepartedAt());
        } else if (event instanceof PatientIdentity p && p.getKind() == IdentityKind.LINK && p.getLocalId() != null) {
            b = AdtMessageBuilder.adt("A31", h.getEventId(), h.getRecordedAt()).facility(h.getSource().getOdsCode())
                    .application(system(h)).nhsNumber(p.getNhsNumber())
                    .localId(p.getLocalId().getValue(), p.getLocalId().getSystem())
                    .name(p.getFamilyName(), p.getGivenName()).birthDate(birth(p)).postcode(p.getPostcode())
                    .withoutPv1();
        } else if (event instanceof PatientIdentity p && p.getKind() == IdentityKind.MERGE) {
            b = AdtMessageBuilder.adt("A40", h.getEventId(), h.getRecordedAt()).facility(h.getSource().getOdsCode())
                    .application(system(h)).nhsNumber(p.getNhsNumber()).name(p.getFamilyName(), p.getGivenName())
                    .birthDate(birth(p));
            LocalIdentifier survivorLocal = h.getPatient().getLocalId();
            if (survivorLocal != null && !survivorLocal.equals(p.getLocalId())) {
                b.localId(survivorLocal.getValue(), survivorLocal.getSystem());
            }
            if (p.getLocalId() != null) {
                b.merged(AdtMessageBuilder.escape(p.getLocalId().getValue()) + "^^^"
                        + AdtMessageBuilder.escape(p.getLocalId().getSystem()) + "^MEDREC");
            }
            if (p.getSupersededNhsNumber() != null) {
                b.merged(p.getSupersededNhsNumber() + "^^^NHS^NH");
            }
        } else {
            throw new IllegalArgumentException(event.getSchema().getName() + " " + action
                    + " is not sent over HL7v2 ADT: route admissions, transfers, discharges, A&E attendances and "
                    + "identity links or merges to the MLLP sink");
        }
        return b.build();
    }

    private static AdtMessageBuilder start(String trigger, EventHeader h) {
        return start(trigger, h, h.getEventId());
    }

    private static AdtMessageBuilder start(String trigger, EventHeader h, String controlId) {
        PatientRef patient = h.getPatient();
        AdtMessageBuilder b = AdtMessageBuilder.adt(trigger, controlId, h.getRecordedAt())
                .facility(h.getSource().getOdsCode()).application(system(h)).name(null, null).birthDate(null)
                .nhsNumber(patient.getNhsNumber());
        if (patient.getLocalId() != null) {
            b.localId(patient.getLocalId().getValue(), patient.getLocalId().getSystem());
        }
        return b;
    }

    private static String system(EventHeader h) {
        return h.getSource().getSystem() == null ? "CARETRAIL-SIM" : h.getSource().getSystem();
    }

    private static String birth(PatientIdentity p) {
        return p.getBirthDate() == null ? null : p.getBirthDate().toString().replace("-", "");
    }

    private static String admissionType(String method) {
        if (method == null) {
            return null;
        }
        return switch (method) {
            case "EMERGENCY" -> "21";
            case "ELECTIVE" -> "11";
            case "MATERNITY" -> "31";
            case "TRANSFER_IN" -> "81";
            default -> "98";
        };
    }

    /** The NHS discharge method (PV1-36): 1 on clinical advice, 2 self-discharge. */
    private static String dischargeMethod(Discharge d) {
        return "SELF_DISCHARGE".equals(d.getDischargeMethod()) ? "2" : "1";
    }

    /** The NHS discharge destination (PV1-37). */
    private static String destinationCode(String destination) {
        if (destination == null) {
            return "";
        }
        return switch (destination) {
            case "HOME", "COMMUNITY" -> "19";
            case "CARE_HOME" -> "54";
            case "OTHER_HOSPITAL" -> "51";
            case "DIED" -> "79";
            default -> "98";
        };
    }

    // ---------------------------------------------------------------- the connections

    private void sendLoop(BlockingQueue<Pending> queue) {
        Socket socket = null;
        InputStream in = null;
        try {
            while (true) {
                Pending p = queue.take();
                if (p == STOP) {
                    return;
                }
                try {
                    if (socket == null) {
                        socket = new Socket(host, port);
                        socket.setTcpNoDelay(true);
                        socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
                        in = new BufferedInputStream(socket.getInputStream());
                    }
                    String ack = exchange(socket, in, p.message());
                    Matcher m = MSA.matcher(ack);
                    if (m.find() && m.group(1).equals("AA")) {
                        p.result().complete(m.group(1));
                    } else {
                        String reason = m.find(0) ? m.group(1) + ": " + m.group(2) : "no MSA in the ACK: " + ack;
                        p.result().completeExceptionally(new IllegalStateException("MLLP listener answered " + reason));
                    }
                } catch (IOException e) {
                    p.result().completeExceptionally(e);
                    LOG.warn("MLLP sink to {}:{}: {}", host, port, e.toString());
                    closeQuietly(socket);
                    socket = null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(socket);
        }
    }

    private static String exchange(Socket socket, InputStream in, String message) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(MllpAdapter.START_BLOCK);
        out.write(message.getBytes(StandardCharsets.UTF_8));
        out.write(MllpAdapter.END_BLOCK);
        out.write(MllpAdapter.CARRIAGE_RETURN);
        out.flush();
        int b;
        while ((b = in.read()) != MllpAdapter.START_BLOCK) {
            if (b == -1) {
                throw new IOException("the MLLP listener closed the connection before its ACK");
            }
        }
        ByteArrayOutputStream ack = new ByteArrayOutputStream(256);
        while ((b = in.read()) != MllpAdapter.END_BLOCK) {
            if (b == -1) {
                throw new IOException("the MLLP listener closed the connection inside its ACK");
            }
            ack.write(b);
        }
        in.read();
        return ack.toString(StandardCharsets.UTF_8);
    }

    /** Sends what is queued (waiting up to 30 s), then closes the connections. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (BlockingQueue<Pending> queue : queues) {
                if (!queue.offer(STOP, 30, TimeUnit.SECONDS)) {
                    LOG.warn("MLLP sink queue still full after 30 s: stopping its sender");
                }
            }
            for (Thread t : senders) {
                t.join(30_000);
                if (t.isAlive()) {
                    t.interrupt();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pending left;
        for (BlockingQueue<Pending> queue : queues) {
            while ((left = queue.poll()) != null) {
                if (left != STOP) {
                    left.result().completeExceptionally(new IllegalStateException("the MLLP sink closed before sending"));
                }
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                LOG.debug("closing MLLP sink socket: {}", e.toString());
            }
        }
    }
}
