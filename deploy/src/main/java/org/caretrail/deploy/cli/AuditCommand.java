package org.caretrail.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.topic.CareTopics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code caretrail audit NHS_NUMBER}: who has called the platform's APIs about this patient, when,
 * and with what outcome, from {@code care.access-audit}. Reads only the partition that holds the
 * patient (the records are keyed by NHS number), from its start to its end, without a consumer
 * group.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Show who has asked the platform's APIs about a patient, when, and with what outcome "
                + "(from care.access-audit).")
final class AuditCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", paramLabel = "NHS_NUMBER", description = "The patient's NHS number (spaces allowed)")
    String nhsNumber;

    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String problem = NhsNumber.problem(nhsNumber);
        if (problem != null) {
            err.println("caretrail: " + TerminalText.clean(problem));
            err.flush();
            return 2;
        }
        NhsNumber nhs = NhsNumber.of(nhsNumber);
        List<JsonNode> calls = read(connection.kafka(org.caretrail.events.topic.CarePrincipal.ADMIN), nhs.value());
        out.printf("Calls about NHS number %s: %d%n", nhs.formatted(), calls.size());
        for (JsonNode call : calls) {
            out.println(line(call));
        }
        out.flush();
        return 0;
    }

    /**
     * One call, on one line. Every value comes from the record, and most from the caller (path, query,
     * the on-behalf-of header): each is printed without control characters ({@link TerminalText}), so a
     * caller cannot recolour, rewrite or add lines of the audit on the reader's terminal.
     */
    static String line(JsonNode call) {
        String query = call.path("query").isTextual() ? "?" + call.path("query").asText() : "";
        String who = text(call, "subject");
        if (who == null) {
            who = text(call, "user");
        }
        String client = text(call, "client");
        return String.format("  %-24s %3d %-6s %-15s %-28s %s", clean(text(call, "at")), call.path("status").asInt(),
                clean(text(call, "method")), clean(text(call, "remoteAddress")),
                clean(who) + (client == null ? "" : " (" + clean(client) + ")"),
                clean(text(call, "path") == null ? "" : text(call, "path") + query));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isValueNode() && !value.isNull() ? value.asText() : null;
    }

    private static String clean(String text) {
        return TerminalText.clean(text);
    }

    static List<JsonNode> read(String bootstrapServers, String nhs) throws Exception {
        return read(org.caretrail.events.kafka.KafkaClientSettings.plaintext(bootstrapServers), nhs);
    }

    /** The access audit's records about {@code nhs}, read as {@code kafka} (the operator, on a secured cluster). */
    static List<JsonNode> read(org.caretrail.events.kafka.KafkaClientSettings kafka, String nhs) throws Exception {
        List<JsonNode> calls = new ArrayList<>();
        Map<String, Object> config = kafka.config(Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.CLIENT_ID_CONFIG, "caretrail-audit"));
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(CareTopics.ACCESS_AUDIT, Duration.ofSeconds(30));
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalStateException("topic " + CareTopics.ACCESS_AUDIT
                        + " does not exist: apply the topics first (caretrail topics apply)");
            }
            // the producer's default partitioner put the patient's records here
            int partition = Utils.toPositive(Utils.murmur2(nhs.getBytes(StandardCharsets.UTF_8))) % partitions.size();
            TopicPartition tp = new TopicPartition(CareTopics.ACCESS_AUDIT, partition);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() < end && nhs.equals(record.key()) && record.value() != null) {
                        calls.add(JSON.readTree(record.value()));
                    }
                }
            }
        }
        return calls;
    }
}
