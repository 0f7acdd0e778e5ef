package org.caretrail.deploy.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Run the whole platform on this machine: an embedded Kafka broker (KRaft) and schema",
            "registry, topics, the timeline stream processor, the HTTP API, the HL7 MLLP and FHIR adapters,",
            "subscriptions, and the simulator feeding synthetic events. Ctrl-C stops it cleanly.",
            "Data is kept under --data-dir and survives restarts."})
final class UpCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "data", description = "Where the broker, registry and state live (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Use this Kafka cluster instead of starting the embedded broker")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Use this Confluent-compatible registry instead of starting the embedded one")
    String schemaRegistryUrl;

    @Option(names = "--kafka-port", defaultValue = "" + PlatformSettings.DEFAULT_KAFKA_PORT, description = "Embedded broker port (default: ${DEFAULT-VALUE})")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "" + PlatformSettings.DEFAULT_REGISTRY_PORT, description = "Embedded registry port (default: ${DEFAULT-VALUE})")
    int registryPort;

    @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "HTTP bind address (default: ${DEFAULT-VALUE}, loopback only)")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "" + PlatformSettings.DEFAULT_HTTP_PORT, description = "HTTP port: API, FHIR, health, metrics (default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--mllp-port", defaultValue = "" + PlatformSettings.DEFAULT_MLLP_PORT, description = "HL7v2 MLLP port (default: ${DEFAULT-VALUE})")
    int mllpPort;

    @Option(names = "--patients", defaultValue = "20000", description = "Synthetic patients the simulator follows; 0 turns it off (default: ${DEFAULT-VALUE})")
    int patients;

    @Option(names = "--rate", defaultValue = "50", description = "Simulated events per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--advertised-http-host", paramLabel = "HOST",
            description = "Where other CareTrail instances reach this one's HTTP, to forward timeline queries for the "
                    + "patients it holds (default: --http-host, or this machine's name when that is 0.0.0.0)")
    String advertisedHttpHost;

    @picocli.CommandLine.Mixin
    AccessOptions access;

    @Option(names = "--seed", description = "Simulator seed (default: a new one each start, so a restart adds new patients rather than resending)")
    Long seed;

    @Override
    public Integer call() throws Exception {
        PlatformSettings settings = new PlatformSettings(dataDir.toAbsolutePath(), bootstrapServers, schemaRegistryUrl,
                kafkaPort, registryPort, httpHost, httpPort, mllpPort, Launch.registryHome(), Launch.classpath(),
                patients, rate, seed != null ? seed : new java.util.Random().nextInt(1_000_000),
                access.build(dataDir.toAbsolutePath(), System.out), advertisedHttpHost);
        long started = System.nanoTime();
        Platform platform = new Platform(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            System.out.println();
            System.out.println("Stopping CareTrail...");
            platform.close();
            System.out.println("Stopped.");
            stopped.countDown();
        }, "caretrail-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            platform.start(step -> System.out.println("  " + step + "..."));
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            throw e;
        }
        System.out.printf("%nCareTrail is up (%.1f s). Ctrl-C to stop.%n", (System.nanoTime() - started) / 1e9);
        for (Map.Entry<String, String> a : platform.addresses().entrySet()) {
            System.out.printf("  %-18s %s%n", a.getKey(), a.getValue());
        }
        System.out.printf("  %-18s %s%n", "API token", access.summary());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
