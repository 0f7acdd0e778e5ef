package org.caretrail.bench;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a bench run prints: the machine, the limit, then one row per contender, and the details behind them. */
final class Report {

    private final PrintWriter out;
    private final List<String> machine = new ArrayList<>();
    private KafkaPerformanceTools.Result limit;
    private final List<BenchRun.Backlog> backlogs = new ArrayList<>();
    private final Map<String, List<BenchRun.Paced>> paced = new LinkedHashMap<>();
    private String sameTimelines;

    Report(PrintWriter out) {
        this.out = out;
    }

    void machine(String when) {
        String line = String.format("%s: %s, load average %s, %d cores, %s", when, Bench.now(), Bench.loadAverage(),
                Runtime.getRuntime().availableProcessors(), cpuModel());
        machine.add(line);
        out.println(line);
        out.flush();
    }

    void limit(KafkaPerformanceTools.Result r, int records, int bytes) {
        this.limit = r;
        out.printf("Kafka ProducerPerformance, %,d records of %d bytes (acks=all, lz4, linger 5 ms): %,.0f records/s%n  %s%n",
                records, bytes, r.recordsPerSecond(), r.summary());
        out.flush();
    }

    void backlog(BenchRun.Backlog b) {
        backlogs.add(b);
        out.printf("  %s: %,d events in %.2f s = %,.0f events/s (%s of ProducerPerformance); %,.2f broker writes per "
                + "event; peak RSS %,d MB%n", b.contender(), b.events(), b.seconds(), b.perSecond(), ofLimit(b),
                b.writesPerEvent(), b.peakRssKb() / 1024);
        out.flush();
    }

    void paced(List<BenchRun.Paced> results) {
        for (BenchRun.Paced p : results) {
            paced.computeIfAbsent(p.contender(), k -> new ArrayList<>()).add(p);
            out.printf("  %s at %,.0f events/s: %s%s%n", p.contender(), p.rate(), p.latency(),
                    p.seen() < p.sent() ? String.format(" (%,d of %,d seen)", p.seen(), p.sent()) : "");
        }
        out.flush();
    }

    void sameTimelines(String verdict) {
        this.sameTimelines = verdict;
        out.println("  " + verdict);
        out.flush();
    }

    void print(List<Double> rates) {
        out.println();
        out.println("=== summary ===");
        machine.forEach(out::println);
        if (limit != null) {
            out.printf("limit: Kafka ProducerPerformance %,.0f records/s%n", limit.recordsPerSecond());
        }
        StringBuilder header = new StringBuilder(String.format("%-38s %4s %10s %9s %13s %9s", "contender", "inst",
                "events/s", "of limit", "writes/event", "peak RSS"));
        rates.forEach(r -> header.append(String.format("  %-30s", String.format("%,.0f/s p50/p99/p99.9 ms", r))));
        out.println(header);
        for (BenchRun.Backlog b : backlogs) {
            StringBuilder row = new StringBuilder(String.format("%-38s %4d %,10.0f %9s %13.2f %6d MB", b.contender(),
                    b.instances(), b.perSecond(), ofLimit(b), b.writesPerEvent(), b.peakRssKb() / 1024));
            for (BenchRun.Paced p : paced.getOrDefault(b.contender(), List.of())) {
                row.append(String.format("  %-30s", String.format("%,.0f / %,.0f / %,.0f", p.latency().p50(),
                        p.latency().p99(), p.latency().p999())));
            }
            out.println(row);
        }
        if (sameTimelines != null) {
            out.println(sameTimelines);
        }
        out.println();
        out.println("broker writes per input event, by topic (records appended, transaction markers included):");
        for (BenchRun.Backlog b : backlogs) {
            out.printf("  %s (%d instance(s)):%n", b.contender(), b.instances());
            b.writes().forEach((topic, n) -> out.printf("    %-66s %,10d  %6.3f%n", topic, n, n / (double) b.events()));
        }
        out.flush();
    }

    private String ofLimit(BenchRun.Backlog b) {
        return limit == null ? "-" : String.format("%.1f%%", 100 * b.perSecond() / limit.recordsPerSecond());
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("cpu unknown");
        } catch (java.io.IOException e) {
            return "cpu unknown";
        }
    }
}
