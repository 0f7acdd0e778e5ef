package org.caretrail.bench;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.topic.Topics;

/**
 * CareTrail holding a large population: {@code patients} synthetic patients with {@code perPatient} events each
 * (every event a care item of its own: admissions, A&E attendances, referrals, prescriptions, appointments), written
 * round-robin over the patients, then processed by one CareTrail JVM with the run's heap. Prints the peak heap in
 * use (from the JVM's GC log), the peak resident set size, the time taken, and the state on disk per patient.
 */
final class MemoryRun implements Callable<Integer> {

    private static final Pattern GC_HEAP = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

    private final Bench.Common common;
    private final int patients;
    private final int perPatient;
    private final PrintWriter out;

    MemoryRun(Bench.Common common, int patients, int perPatient, PrintWriter out) {
        this.common = common;
        this.patients = patients;
        this.perPatient = perPatient;
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        Path data = common.data();
        Report report = new Report(out);
        report.machine("before");
        try (BenchBroker broker = common.broker(data, out)) {
            long events = (long) patients * perPatient;
            out.printf("writing %,d events of %,d patients...%n", events, patients);
            out.flush();
            long start = System.nanoTime();
            write(broker, events);
            out.printf("  written in %.0f s%n", (System.nanoTime() - start) / 1e9);
            Path logs = Files.createDirectories(data.resolve("logs"));
            Path gcLog = logs.resolve("memory-gc.log");
            List<String> jvm = new ArrayList<>(common.jvmOptions(data));
            jvm.add("-Xlog:gc:file=" + gcLog);
            var changes = broker.topics().timelineChanges().valueSerde().deserializer();
            Contender.CareTrail caretrail = new Contender.CareTrail("bench-memory", changes, List.of());
            Contender.Context context = new Contender.Context(broker.bootstrapServers(), broker.registryUrl(), data,
                    jvm, common.commitIntervalMs);
            long peakRss = 0;
            start = System.nanoTime();
            List<ChildJvm> jvms = caretrail.start(context, 1);
            ChildJvm child = jvms.get(0);
            try (Admin admin = broker.admin()) {
                long lag = Long.MAX_VALUE;
                long lastReport = 0;
                long deadline = System.nanoTime() + Duration.ofHours(4).toNanos();
                while (lag > 0 && System.nanoTime() < deadline) {
                    child.requireAlive();
                    Thread.sleep(2_000);
                    peakRss = Math.max(peakRss, child.rssKb());
                    lag = BenchRun.lag(admin, caretrail);
                    if (System.nanoTime() - lastReport > 30_000_000_000L) {
                        lastReport = System.nanoTime();
                        out.printf("  %,d of %,d events processed; RSS %,d MB (peak %,d MB); heap peak so far %,d MB; "
                                + "load %s%n", events - lag, events, child.rssKb() / 1024, peakRss / 1024,
                                peakHeapMb(gcLog), Bench.loadAverage());
                        out.flush();
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                Thread.sleep(3_000);
                peakRss = Math.max(peakRss, child.peakRssKb());
                child.close();
                long state = BenchRun.directorySize(data.resolve("state/bench-memory-0"));
                out.printf("%n=== memory: %,d patients, %,d events ===%n", patients, events);
                out.printf("processed in %.0f s from start (%,.0f events/s, start-up and restore included)%n", seconds,
                        events / seconds);
                out.printf("heap: -Xmx%s; peak in use before a collection %,d MB%n", common.heap, peakHeapMb(gcLog));
                out.printf("peak resident set size %,d MB%n", peakRss / 1024);
                out.printf("state on disk (RocksDB, all stores, after a clean close): %,.0f MB = %,.0f bytes per "
                        + "patient, %,.0f per event%n", state / 1e6, state / (double) patients, state / (double) events);
                java.util.Map<String, Long> sizes = changelogSizes(data.resolve("kafka"));
                sizes.forEach((topic, bytes) -> out.printf("  broker log %-60s %,12d bytes = %,.0f per patient%n", topic,
                        bytes, bytes / (double) patients));
                report.machine("after");
                return 0;
            } finally {
                jvms.forEach(ChildJvm::close);
            }
        } finally {
            common.cleanUp(data);
        }
    }

    private static long peakHeapMb(Path gcLog) {
        long peak = 0;
        try {
            if (!Files.exists(gcLog)) {
                return 0;
            }
            for (String line : Files.readAllLines(gcLog)) {
                Matcher m = GC_HEAP.matcher(line);
                if (m.find()) {
                    peak = Math.max(peak, Long.parseLong(m.group(1)));
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return peak;
    }

    private static java.util.Map<String, Long> changelogSizes(Path kafka) throws java.io.IOException {
        java.util.Map<String, Long> sizes = new java.util.TreeMap<>();
        try (var dirs = Files.list(kafka)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                String name = dir.getFileName().toString();
                if (!name.startsWith("bench-memory")) {
                    continue;
                }
                String topic = name.substring(0, name.lastIndexOf('-'));
                sizes.merge(topic, BenchRun.directorySize(dir), Long::sum);
            }
        }
        return sizes;
    }

    private void write(BenchBroker broker, long events) throws InterruptedException {
        Topics topics = broker.topics();
        List<String> numbers = new ArrayList<>(patients);
        for (int i = 0; numbers.size() < patients; i++) {
            NhsNumber.withCheckDigit(String.format("999%06d", i)).ifPresent(n -> numbers.add(n.value()));
        }
        Instant t0 = Instant.now().minus(Duration.ofDays(3650)).truncatedTo(ChronoUnit.SECONDS);
        AtomicLong failed = new AtomicLong();
        long written = 0;
        long lastReport = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = SyntheticEvents.producer(broker.bootstrapServers())) {
            for (int round = 0; round < perPatient; round++) {
                for (int p = 0; p < patients; p++) {
                    int i = round * patients + p;
                    SpecificRecord e = event(numbers.get(p), t0.plusSeconds(i * 30L), i);
                    var topic = topics.events(CareEventType.of(e));
                    producer.send(new ProducerRecord<>(topic.name(), numbers.get(p),
                            topic.valueSerde().serializer().serialize(topic.name(), e)), (m, error) -> {
                                if (error != null) {
                                    failed.incrementAndGet();
                                }
                            });
                    written++;
                    if (System.nanoTime() - lastReport > 30_000_000_000L) {
                        lastReport = System.nanoTime();
                        out.printf("  %,d of %,d written%n", written, events);
                        out.flush();
                    }
                }
            }
            producer.flush();
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " events were not written");
        }
    }

    private static SpecificRecord event(String nhs, Instant at, int i) {
        EventHeader h = EventHeader.newBuilder()
                .setEventId(new UUID(0x5e7e_0000_0000_4000L, 0x8000_0000_0000_0000L | i).toString())
                .setAction(Action.NEW).setSubjectId("ITEM-" + i).setVersion(1)
                .setOccurredAt(at).setRecordedAt(at.plusSeconds(30))
                .setSource(new Source(i % 2 == 0 ? "RJ1" : "A81001", null,
                        i % 2 == 0 ? ProviderKind.ACUTE : ProviderKind.GP, "bench"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL).build();
        return switch (i % 5) {
            case 0 -> Admission.newBuilder().setHeader(h).setWard("AMU").setSite("Main").build();
            case 1 -> Attendance.newBuilder().setHeader(h).setDepartment("ED").setChiefComplaint("fall").build();
            case 2 -> Referral.newBuilder().setHeader(h).setSpecialty("Cardiology").setStatus("open").build();
            case 3 -> Prescription.newBuilder().setHeader(h).setMedication("Amoxicillin 500mg").setRepeat(false).build();
            default -> Appointment.newBuilder().setHeader(h).setStartsAt(at).setService("Diabetes clinic").build();
        };
    }
}
