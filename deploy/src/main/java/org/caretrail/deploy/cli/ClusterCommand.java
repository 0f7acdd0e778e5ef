package org.caretrail.deploy.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.caretrail.deploy.infra.EmbeddedSchemaRegistry;
import org.caretrail.deploy.infra.KafkaAccess;
import org.caretrail.deploy.infra.KafkaCluster;
import org.caretrail.deploy.infra.KafkaSecurity;
import org.caretrail.deploy.infra.PrincipalsApplier;
import org.caretrail.events.topic.CarePrincipal;
import org.caretrail.deploy.infra.Supervisor;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Run a local Kafka cluster of three (or more) KRaft brokers and the schema registry, with",
            "every topic applied at 3 copies and 2 in sync, until Ctrl-C; then point CareTrail instances at it",
            "with `up --bootstrap-servers ... --schema-registry-url ...`. See deploy/cluster/README.md."})
final class ClusterCommand implements Callable<Integer> {

    @Option(names = "--brokers", defaultValue = "3", description = "Brokers, at least 3 (default: ${DEFAULT-VALUE})")
    int brokers;

    @Option(names = "--kafka-port", defaultValue = "9092",
            description = "First broker's port; the others take the next ones (default: ${DEFAULT-VALUE})")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "8081", description = "Registry port (default: ${DEFAULT-VALUE})")
    int registryPort;

    @Option(names = "--data-dir", defaultValue = "data/cluster", description = "Where the brokers and registry keep "
            + "their data (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--no-kafka-security", description = "No TLS, SASL or ACLs: every user of this machine can read "
            + "and write every topic (a throw-away demo only)")
    boolean noKafkaSecurity;

    @Override
    public Integer call() throws Exception {
        Path data = dataDir.toAbsolutePath();
        KafkaSecurity security = null;
        if (!noKafkaSecurity) {
            System.out.printf("  securing Kafka: TLS certificates from the CareTrail CA, a SCRAM principal per component, "
                    + "ACLs (in %s)...%n", data.resolve("kafka-security"));
            security = KafkaSecurity.generate(data.resolve("kafka-security"), brokers);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        System.out.printf("  starting %d Kafka brokers (KRaft, a controller quorum of %d) on localhost:%d-%d...%n",
                brokers, brokers, kafkaPort, kafkaPort + brokers - 1);
        KafkaCluster cluster = KafkaCluster.start(data, brokers, kafkaPort, Launch.classpath(), Duration.ofSeconds(180),
                security);
        EmbeddedSchemaRegistry registry;
        try {
            System.out.printf("  starting the schema registry on 127.0.0.1:%d...%n", registryPort);
            registry = EmbeddedSchemaRegistry.start(Launch.registryHome(), data, registryPort, Duration.ofSeconds(180));
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        Supervisor supervisor = new Supervisor(reason -> stopped.countDown());
        cluster.children().forEach(supervisor::watch);
        supervisor.watch(registry);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println();
            System.out.println("Stopping the cluster...");
            supervisor.close();
            registry.close();
            cluster.close();
            System.out.println("Stopped.");
            stopped.countDown();
        }, "cluster-shutdown"));
        KafkaAccess kafka = KafkaAccess.of(cluster.bootstrapServers(), security);
        if (security != null) {
            new PrincipalsApplier(kafka.as(CarePrincipal.ADMIN), security).apply();
            security.writeClientFiles();
        }
        new TopicsApplier(kafka.as(CarePrincipal.ADMIN)).apply();
        new Topics(new RestSchemaRegistry(registry.url())).registerSchemas();
        System.out.printf("%nCluster up. Ctrl-C to stop.%n  %-18s %s%n  %-18s %s%n", "Kafka", kafka,
                "Schema registry", registry.url());
        System.out.printf("%nStart CareTrail on it (one line per instance, each with its own ports and data):%n"
                + "  ./caretrail up --bootstrap-servers %s --schema-registry-url %s --standby-replicas 1 --patients 0 "
                + "--http-port 8180 --mllp-port 2675 --health-port 8190 --data-dir data/instance-1%s%n",
                cluster.bootstrapServers(), registry.url(), security == null ? ""
                        : " --kafka-security-dir " + security.dir());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
