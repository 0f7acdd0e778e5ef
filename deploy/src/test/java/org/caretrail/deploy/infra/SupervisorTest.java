package org.caretrail.deploy.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The supervisor's rules with a child that dies on demand: restart with backoff, give up, not on close. */
class SupervisorTest {

    /** A child whose "process" is a future the test completes to make it die. */
    private static final class FakeChild implements Supervisor.Child {
        final AtomicInteger starts = new AtomicInteger(1);
        volatile CompletableFuture<Integer> exit = new CompletableFuture<>();
        volatile boolean failRestart;

        @Override
        public String name() {
            return "Kafka broker";
        }

        @Override
        public long pid() {
            return 1000 + starts.get();
        }

        @Override
        public CompletableFuture<Integer> onExit() {
            return exit;
        }

        @Override
        public void restart(Duration timeout) throws IOException {
            if (failRestart) {
                throw new IOException("port in use");
            }
            exit = new CompletableFuture<>();
            starts.incrementAndGet();
        }

        void die() {
            exit.complete(137);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aChildThatDiesIsStartedAgainAndWatchedAgain() {
        FakeChild child = new FakeChild();
        try (Supervisor supervisor = new Supervisor(reason -> { })) {
            supervisor.watch(child);
            child.die();
            assertThat(supervisor.state("Kafka broker")).isEqualTo(Supervisor.State.RESTARTING);
            await().atMost(Duration.ofSeconds(10)).until(() -> child.starts.get() == 2);
            await().atMost(Duration.ofSeconds(5)).until(() -> supervisor.state("Kafka broker") == Supervisor.State.RUNNING);
            child.die(); // the new process dies too: watched again, restarted again (after 2 s)
            await().atMost(Duration.ofSeconds(10)).until(() -> child.starts.get() == 3);
        }
    }

    @Test
    void aChildThatKeepsDyingMakesTheSupervisorGiveUpWithAReason() {
        FakeChild child = new FakeChild();
        child.failRestart = true; // every restart fails at once: counted as another death
        AtomicReference<String> gaveUp = new AtomicReference<>();
        try (Supervisor supervisor = new Supervisor(gaveUp::set, Duration.ofMillis(100))) {
            supervisor.watch(child);
            child.die();
            // deaths at 0 s, then failed restarts after 0.1, 0.2, 0.4, 0.8 and 1.6 s: the sixth death gives up
            await().atMost(Duration.ofSeconds(60)).until(() -> gaveUp.get() != null);
            assertThat(gaveUp.get()).contains("the Kafka broker died 6 times within 10 minutes");
            assertThat(supervisor.state("Kafka broker")).isEqualTo(Supervisor.State.GAVE_UP);
        }
    }

    @Test
    void aChildStoppedByCareTrailIsNotStartedAgain() throws Exception {
        FakeChild child = new FakeChild();
        Supervisor supervisor = new Supervisor(reason -> { });
        supervisor.watch(child);
        supervisor.close();
        child.die();
        Thread.sleep(1500);
        assertThat(child.starts.get()).isEqualTo(1);
    }
}
