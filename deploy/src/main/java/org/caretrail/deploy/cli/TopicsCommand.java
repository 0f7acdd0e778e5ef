package org.caretrail.deploy.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Replication;
import org.caretrail.events.topic.TopicSpec;
import org.caretrail.events.topic.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Topics as code: list the declared topics, or apply them to a cluster.",
        subcommands = {TopicsCommand.Apply.class, TopicsCommand.ListTopics.class})
final class TopicsCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = {"Create missing topics and align partitions, cleanup, retention and min.insync.replicas",
                "(idempotent, safe to run from several places at once), then register every schema with",
                "FULL_TRANSITIVE compatibility. On a cluster every topic gets 3 copies with 2 in sync; a",
                "replication that would lose acknowledged writes with one broker is refused without --i-know."})
    static final class Apply implements Callable<Integer> {

        @Mixin
        ConnectionOptions connection;

        @Option(names = "--skip-schemas", description = "Only topics; do not register schemas")
        boolean skipSchemas;

        @Option(names = "--replication", paramLabel = "FACTOR/MIN_ISR",
                description = "Replicate every topic so instead of as declared (3/2 on a cluster, 1/1 on one broker)")
        String replication;

        @Option(names = "--i-know", description = {"Apply a replication that does not survive the loss of one "
                + "broker (fewer than 3 copies or fewer than 2 in sync) to a cluster anyway, and lower a stronger "
                + "min.insync.replicas found on a topic. Acknowledged writes may then be lost with a broker."})
        boolean iKnow;

        @Override
        public Integer call() throws Exception {
            org.caretrail.events.kafka.KafkaClientSettings admin = connection.kafka(
                    org.caretrail.events.topic.CarePrincipal.ADMIN);
            if (connection.kafkaSecurity().isPresent()) {
                for (org.caretrail.deploy.infra.PrincipalsApplier.Outcome o : new org.caretrail.deploy.infra.PrincipalsApplier(
                        admin, connection.kafkaSecurity().get()).apply()) {
                    System.out.printf("%-28s %-9s %s%n", o.subject(), o.action(), o.detail());
                }
            }
            List<TopicsApplier.Outcome> outcomes = new TopicsApplier(admin)
                    .withReplication(replication == null ? null : Replication.parse(replication))
                    .allowUnsafe(iKnow).apply();
            int shortfalls = 0;
            for (TopicsApplier.Outcome o : outcomes) {
                System.out.printf("%-28s %-9s %s%n", o.topic(), o.action(), o.detail());
                if (o.shortfall() != null) {
                    System.out.printf("%-28s %-9s %s%n", "", "WARNING", o.shortfall());
                    shortfalls++;
                }
            }
            if (shortfalls > 0) {
                System.out.println(shortfalls + " topic(s) are not replicated as declared; see the warnings above");
            }
            if (!skipSchemas) {
                new Topics(new RestSchemaRegistry(connection.schemaRegistryUrl())).registerSchemas();
                System.out.println("schemas registered at " + connection.schemaRegistryUrl() + " (FULL_TRANSITIVE)");
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Print the declared topics.")
    static final class ListTopics implements Runnable {
        @Override
        public void run() {
            for (TopicSpec t : CareTopics.all()) {
                System.out.printf("%-28s %2d partitions  %-7s retention %-10s replication %s  %s%n", t.name(),
                        t.partitions(), t.cleanup().policy(),
                        t.retentionMs() < 0 ? "forever" : (t.retentionMs() / 86_400_000L) + " days", t.replication(),
                        t.purpose());
            }
        }
    }
}
