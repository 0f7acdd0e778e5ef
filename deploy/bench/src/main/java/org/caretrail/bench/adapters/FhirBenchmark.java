package org.caretrail.bench.adapters;

import ca.uhn.fhir.context.FhirContext;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.caretrail.events.NhsNumber;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.fhir.FhirGateway;
import org.caretrail.producers.fhir.FhirMapper;

import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;

/**
 * Measures the FHIR gateway end to end: {@code clients} HTTP clients each POST Encounters (inpatient
 * admissions) one after another to the gateway on a JDK HttpServer; each 201 arrives only after
 * Kafka acknowledged the write. Prints requests/s and latency percentiles.
 *
 * <pre>
 * deploy/bench/run adapters [--connections 8] [--requests 10000]
 * </pre>
 */
public final class FhirBenchmark {

    /** The figures of one run. */
    public record Result(int clients, int requests, double seconds, double perSecond, double p50Millis,
                         double p99Millis) {
        @Override
        public String toString() {
            return String.format("FHIR: %d POST Encounter from %d clients in %.2f s = %.0f requests/s "
                    + "(201 after Kafka acks=all; latency p50 %.2f ms, p99 %.2f ms)",
                    requests, clients, seconds, perSecond, p50Millis, p99Millis);
        }
    }

    private FhirBenchmark() {
    }

    /**
     * Starts the gateway on its own loopback JDK HttpServer over {@code publisher}, warms up, then
     * measures. Sets {@code sun.net.httpserver.nodelay=true} unless told otherwise: without it the
     * JDK server's small responses meet TCP delayed ACKs and each request waits ~40 ms.
     */
    public static Result run(CarePublisher publisher, int clients, int requests) throws Exception {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        ExecutorService handlers = Executors.newFixedThreadPool(clients);
        server.createContext("/fhir/r4", new FhirGateway(publisher));
        server.setExecutor(handlers);
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/fhir/r4/Encounter";
            String runId = Long.toString(System.nanoTime(), 36);
            drive(url, clients, Math.max(clients * 50, requests / 20), "W" + runId);
            long start = System.nanoTime();
            long[] latencies = drive(url, clients, requests, "B" + runId);
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(latencies);
            return new Result(clients, requests, seconds, requests / seconds,
                    latencies[(int) (latencies.length * 0.50)] / 1e6,
                    latencies[Math.min(latencies.length - 1, (int) (latencies.length * 0.99))] / 1e6);
        } finally {
            server.stop(0);
            handlers.shutdownNow();
        }
    }

    private static long[] drive(String url, int clients, int requests, String prefix) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<long[]>> results = new ArrayList<>();
            int per = requests / clients;
            for (int c = 0; c < clients; c++) {
                int count = c == clients - 1 ? requests - per * (clients - 1) : per;
                String id = prefix + "-" + c;
                results.add(pool.submit(() -> client(url, id, count)));
            }
            long[] all = new long[requests];
            int at = 0;
            for (Future<long[]> r : results) {
                long[] part = r.get();
                System.arraycopy(part, 0, all, at, part.length);
                at += part.length;
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long[] client(String url, String prefix, int count) throws Exception {
        FhirContext fhir = FhirContext.forR4Cached();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Instant start = Instant.now().minus(1, ChronoUnit.HOURS);
        long[] latencies = new long[count];
        for (int i = 0; i < count; i++) {
            Encounter e = new Encounter();
            e.addIdentifier().setSystem("https://bench.example/spell").setValue(prefix + "-" + i);
            e.setStatus(Encounter.EncounterStatus.INPROGRESS);
            e.setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP", "inpatient"));
            e.setSubject(new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM)
                    .setValue(nhs(Math.abs((prefix + i).hashCode())))));
            e.setServiceProvider(new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.ODS_SYSTEM)
                    .setValue("RJ1")));
            e.getPeriod().setStart(Date.from(start.plusMillis(i)));
            e.addLocation().setLocation(new Reference().setDisplay("WARD " + (i % 20)));
            String body = fhir.newJsonParser().encodeResourceToString(e);
            long sent = System.nanoTime();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/fhir+json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            latencies[i] = System.nanoTime() - sent;
            if (response.statusCode() != 201) {
                throw new IllegalStateException("Encounter " + prefix + "-" + i + " got " + response.statusCode() + ": "
                        + response.body());
            }
        }
        return latencies;
    }

    private static String nhs(int seed) {
        for (int n = seed % 1_000_000; ; n = (n + 1) % 1_000_000) {
            var nhs = NhsNumber.withCheckDigit(String.format("999%06d", n));
            if (nhs.isPresent()) {
                return nhs.get().value();
            }
        }
    }
}
