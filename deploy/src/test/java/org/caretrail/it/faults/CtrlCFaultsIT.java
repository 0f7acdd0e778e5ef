package org.caretrail.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Ctrl-C as a person presses it: {@code ./caretrail up} in a tmux pseudo-terminal, then C-c, which the
 * terminal sends to its whole foreground process group. The broker and registry run in their own
 * sessions, so the stop comes from CareTrail, in order: the platform must exit within seconds, with
 * no "did not stop" warning, its broker and registry gone, and the stream processor's state
 * checkpointed: the next start initialises its stores from their checkpointed offsets instead of
 * restoring them from the changelogs (Kafka Streams 4.3 keeps those offsets in the stores themselves,
 * not in {@code .checkpoint} files, so the test reads what the next start reports). Afterwards nothing
 * under the data directory is readable by group or others.
 */
@Tag("faults")
class CtrlCFaultsIT {

    private static final Duration STOP_LIMIT = Duration.ofSeconds(30);

    @Test
    void ctrlCInTheTerminalStopsEverythingInOrderWithinSeconds() throws Exception {
        assumeThat(PlatformProcess.tmuxAvailable()).as("tmux is installed (.ci/run installs it)").isTrue();
        try (PlatformProcess up = new PlatformProcess("ctrlc", List.of("--patients", "200", "--rate", "50",
                "--seed", "5"))) {
            up.startInTerminal().awaitUp(Duration.ofMinutes(3));
            long broker = up.childPid("kafka").orElseThrow();
            long registry = up.childPid("registry").orElseThrow();
            // let the stream processor take in some of the simulator's events, so it has state to checkpoint
            Thread.sleep(10_000);
            assertThat(up.get(up.healthPort, "/health/ready").statusCode()).isEqualTo(200);

            long pressed = System.nanoTime();
            up.pressCtrlC();
            long deadline = pressed + STOP_LIMIT.toNanos();
            while (up.exitCode().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            double seconds = (System.nanoTime() - pressed) / 1e9;
            String out = up.output();
            System.out.printf("Ctrl-C: caretrail up exited %.1f s after the key was pressed (exit code %s)%n", seconds,
                    up.exitCode().map(String::valueOf).orElse("none yet"));
            assertThat(up.exitCode()).as("exited within %s; output:%n%s", STOP_LIMIT, out).isPresent();
            assertThat(out).contains("Stopping CareTrail...").containsPattern("Stopped \\(\\d+\\.\\d s\\)\\.")
                    .doesNotContain("did not stop").doesNotContain("killing it");
            assertThat(ProcessHandle.of(broker).map(ProcessHandle::isAlive).orElse(false)).as("broker gone").isFalse();
            assertThat(ProcessHandle.of(registry).map(ProcessHandle::isAlive).orElse(false)).as("registry gone")
                    .isFalse();
            // the broker stopped cleanly (its own log says so) rather than by the terminal's SIGINT
            assertThat(Files.readString(up.data.resolve("logs/kafka.log"))).doesNotContain("SIGINT");

            // the next start finds the state checkpointed: its stores start from their committed offsets
            // (a state wiped by an unclean stop under exactly-once would start from nothing and restore it all)
            try (PlatformProcess again = up.again("-Xmx768m -Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams"
                    + ".processor.internals.ProcessorStateManager=info")) {
                again.start().awaitUp(Duration.ofMinutes(3));
                String restart = again.output();
                java.util.regex.Matcher restored = java.util.regex.Pattern.compile(
                        "State store (timeline-[a-z-]+) initialized from checkpoint with offset (\\d+|null)")
                        .matcher(restart);
                List<String> fromCheckpoint = new ArrayList<>();
                while (restored.find()) {
                    if (!restored.group(2).equals("null")) {
                        fromCheckpoint.add(restored.group(1));
                    }
                }
                System.out.printf("next start: %d state stores initialized from a checkpoint%n", fromCheckpoint.size());
                assertThat(fromCheckpoint).as("stores starting from a checkpoint on the next start")
                        // the stores with a changelog: the care items and the progress marks (the derived views have none:
                        // they are rebuilt from the items)
                        .contains("timeline-items", "timeline-progress");
                assertThat(restart).doesNotContainIgnoringCase("wiping").doesNotContain("TaskCorruptedException");
            }

            List<String> readableByOthers = new ArrayList<>();
            Set<PosixFilePermission> others = EnumSet.of(PosixFilePermission.GROUP_READ,
                    PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
                    PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
            int files = 0;
            try (Stream<Path> all = Files.walk(up.data)) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    files++;
                    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    if (mode.stream().anyMatch(others::contains)) {
                        readableByOthers.add(java.nio.file.attribute.PosixFilePermissions.toString(mode) + " "
                                + up.data.relativize(p));
                    }
                }
            }
            System.out.printf("files and directories under the data directory: %d, open to group or others: %d%n",
                    files, readableByOthers.size());
            assertThat(files).isGreaterThan(50);
            assertThat(readableByOthers).as("owner-only modes (0700/0600)").isEmpty();
        }
    }
}
