package org.caretrail.producers.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming: a JSON-lines file larger than the heap imports in a child JVM with -Xmx32m. */
class FileImporterLargeFileTest {

    @TempDir
    Path dir;

    @Test
    void importsAFileLargerThanTheHeap() throws IOException, InterruptedException {
        Path file = dir.resolve("population.jsonl");
        long events;
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            events = new PopulationSimulator(11, 16_000, Clock.systemUTC(), SimulationProfile.BENCHMARK)
                    .writeJsonLines(out);
        }
        long size = Files.size(file);
        assertThat(size).as("file bigger than the child's heap").isGreaterThan(40L * 1024 * 1024);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx32m", "-cp", System.getProperty("java.class.path"),
                LargeFileImportMain.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("accepted=" + events + " rejected=0");
        System.out.printf("imported %d MB (%d events) with -Xmx32m: %s%n", size / (1024 * 1024), events,
                output.lines().filter(l -> l.startsWith("accepted=")).findFirst().orElse(output));
    }
}
