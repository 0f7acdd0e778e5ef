package org.caretrail.deploy.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
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
            description = {"Create missing topics and align partitions, cleanup and retention (idempotent),",
                "then register every schema with FULL_TRANSITIVE compatibility."})
    static final class Apply implements Callable<Integer> {

        @Mixin
        ConnectionOptions connection;

        @Option(names = "--skip-schemas", description = "Only topics; do not register schemas")
        boolean skipSchemas;

        @Override
        public Integer call() throws Exception {
            List<TopicsApplier.Outcome> outcomes = new TopicsApplier(connection.bootstrapServers()).apply();
            for (TopicsApplier.Outcome o : outcomes) {
                System.out.printf("%-28s %-9s %s%n", o.topic(), o.action(), o.detail());
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
                System.out.printf("%-28s %2d partitions  %-7s retention %-12s %s%n", t.name(), t.partitions(),
                        t.cleanup().policy(), t.retentionMs() < 0 ? "forever" : (t.retentionMs() / 86_400_000L) + " days",
                        t.purpose());
            }
        }
    }
}
