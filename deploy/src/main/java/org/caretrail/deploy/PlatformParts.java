package org.caretrail.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.caretrail.deploy.http.Health;
import org.caretrail.deploy.infra.Supervisor;

/**
 * How the platform tells whether the parts it depends on are there, for {@code /health}: Kafka
 * answers a cluster description, the registry answers its subject list, both within two seconds; a
 * child the {@link Supervisor} is restarting is DOWN and says so, one it gave up on is broken.
 */
final class PlatformParts implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final String bootstrapServers;
    private final String registryUrl;
    private final Supervisor supervisor;
    private final Admin admin;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    /** @param kafka how the check connects (describing the cluster needs no ACL, only authentication) */
    PlatformParts(org.caretrail.events.kafka.KafkaClientSettings kafka, String registryUrl, Supervisor supervisor) {
        this.bootstrapServers = kafka.bootstrapServers();
        this.registryUrl = registryUrl;
        this.supervisor = supervisor;
        this.admin = Admin.create(kafka.config(Map.of(
                AdminClientConfig.CLIENT_ID_CONFIG, "caretrail-health",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis() + 500,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000)));
    }

    Health.Status broker() {
        if (supervisor.any("Kafka broker", Supervisor.State.GAVE_UP)) {
            return Health.Status.broken("an embedded Kafka broker kept dying; the supervisor gave up");
        }
        try {
            int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()))
                    .nodes().get(TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS).size();
            String restarting = supervisor.any("Kafka broker", Supervisor.State.RESTARTING)
                    ? " (an embedded broker is being restarted)" : "";
            return Health.Status.up(brokers + " broker(s) at " + bootstrapServers + restarting);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            String restarting = supervisor.any("Kafka broker", Supervisor.State.RESTARTING)
                    ? "; the embedded broker died and is being restarted" : "";
            return Health.Status.down("cannot reach Kafka at " + bootstrapServers + " ("
                    + cause.getClass().getSimpleName() + ")" + restarting);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.Status.down("interrupted");
        }
    }

    Health.Status registry() {
        if (supervisor.state("schema registry") == Supervisor.State.GAVE_UP) {
            return Health.Status.broken("the schema registry kept dying; the supervisor gave up");
        }
        try {
            int status = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/subjects")).timeout(TIMEOUT)
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            return status == 200 ? Health.Status.up(registryUrl)
                    : Health.Status.down("the schema registry at " + registryUrl + " answered HTTP " + status);
        } catch (IOException e) {
            String restarting = supervisor.state("schema registry") == Supervisor.State.RESTARTING
                    ? "; the embedded registry died and is being restarted" : "";
            return Health.Status.down("cannot reach the schema registry at " + registryUrl + " ("
                    + e.getClass().getSimpleName() + ")" + restarting);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.Status.down("interrupted");
        }
    }

    /** The stream processor's state: RUNNING is up; ERROR or NOT_RUNNING after a start will not come back. */
    /**
     * The stream processor's own account of itself ({@code TimelineApplication.health()}): UP while it
     * processes; STARTING and DEGRADED (a failed thread being replaced, the registry waited for) are DOWN
     * for readiness but may mend by themselves; DOWN (its retry budget spent, or stopped) needs a restart.
     */
    static Health.Status timeline(org.caretrail.timeline.TimelineHealth h) {
        String detail = h.status() + " (" + h.state() + ")" + (h.cause() == null ? "" : ": " + h.cause());
        return switch (h.status()) {
            case UP -> Health.Status.up(detail);
            case STARTING, DEGRADED -> Health.Status.down(detail);
            case DOWN -> Health.Status.broken(detail);
        };
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
