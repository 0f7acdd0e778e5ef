package org.caretrail.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.caretrail.deploy.cli.CareTrail;
import org.caretrail.deploy.http.ApiAccess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The Kubernetes manifests in {@code deploy/packaging/kubernetes} agree with the code and with each
 * other: the arguments given to {@code caretrail} are ones it accepts, ports and probes are the
 * platform's, and Services select the pods the StatefulSet makes.
 */
class KubernetesManifestsTest {

    private static final Path DIR = Path.of("packaging/kubernetes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, JsonNode> BY_KIND_AND_NAME = new HashMap<>();

    @BeforeAll
    static void read() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                JsonNode doc = YAML.readTree(file.toFile());
                String kind = doc.path("kind").asText();
                String name = doc.path("metadata").path("name").asText();
                assertThat(doc.path("apiVersion").asText()).as(file + " apiVersion").isNotEmpty();
                assertThat(file.getFileName().toString()).as("files are named by kind and name")
                        .matches("\\d{3}-" + kind + "-" + name + "\\.yaml");
                BY_KIND_AND_NAME.put(kind + "/" + name, doc);
            }
        }
        assertThat(BY_KIND_AND_NAME).containsKeys("ConfigMap/caretrail", "Job/caretrail-topics",
                "Service/caretrail", "Service/caretrail-headless", "StatefulSet/caretrail", "NetworkPolicy/caretrail");
    }

    private static JsonNode container(JsonNode workload) {
        return workload.at("/spec/template/spec/containers/0");
    }

    /** The container's arguments with every $(VAR) replaced by a plausible value, parsed by the real command. */
    private static CommandLine.ParseResult parse(JsonNode container) {
        List<String> args = new ArrayList<>();
        for (JsonNode arg : container.path("args")) {
            args.add(arg.asText().replace("$(CARETRAIL_BOOTSTRAP_SERVERS)", "kafka:9092")
                    .replace("$(CARETRAIL_SCHEMA_REGISTRY_URL)", "http://registry:8080/apis/ccompat/v7")
                    .replace("$(POD_NAME)", "caretrail-0"));
        }
        assertThat(String.join(" ", args)).doesNotContain("$(");
        return CareTrail.commandLine().parseArgs(args.toArray(String[]::new));
    }

    private static Map<String, JsonNode> env(JsonNode container) {
        Map<String, JsonNode> env = new HashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
        return env;
    }

    @Test
    void theTopicsJobRunsTopicsApplyOnTheConfiguredCluster() {
        JsonNode job = container(BY_KIND_AND_NAME.get("Job/caretrail-topics"));
        CommandLine.ParseResult parsed = parse(job);
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("topics");
        assertThat(parsed.subcommand().subcommand().commandSpec().name()).isEqualTo("apply");
        assertThat(env(job)).containsKeys("CARETRAIL_BOOTSTRAP_SERVERS", "CARETRAIL_SCHEMA_REGISTRY_URL");
        JsonNode config = BY_KIND_AND_NAME.get("ConfigMap/caretrail").path("data");
        env(job).values().forEach(e -> assertThat(config.has(e.at("/valueFrom/configMapKeyRef/key").asText()))
                .as(e.path("name").asText()).isTrue());
        // the same settings file as the pods
        assertSettingsFileMounted(BY_KIND_AND_NAME.get("Job/caretrail-topics"),
                parsed.subcommand().subcommand().matchedOptionValue("--config", Path.of("")));
    }

    /** {@code config} is the ConfigMap's caretrail.properties, mounted into {@code workload}'s container. */
    private static void assertSettingsFileMounted(JsonNode workload, Path config) {
        assertThat(config.toString()).as("--config").isNotEmpty();
        JsonNode mount = null;
        for (JsonNode m : container(workload).path("volumeMounts")) {
            if (m.path("mountPath").asText().equals(config.getParent().toString())) {
                mount = m;
            }
        }
        assertThat(mount).as("a volume mounted at " + config.getParent()).isNotNull();
        String volumeName = mount.path("name").asText();
        JsonNode volume = null;
        for (JsonNode v : workload.at("/spec/template/spec/volumes")) {
            if (v.path("name").asText().equals(volumeName)) {
                volume = v;
            }
        }
        assertThat(volume).isNotNull();
        assertThat(volume.at("/configMap/name").asText()).isEqualTo("caretrail");
        assertThat(volume.at("/configMap/items/0/key").asText()).isEqualTo("caretrail.properties");
        assertThat(volume.at("/configMap/items/0/path").asText()).isEqualTo(config.getFileName().toString());
    }

    @Test
    void theNetworkPolicyLetsCallersReachTheApisOnlyThePodsReachThePeerPortAndOnlyPrometheusTheMetrics() {
        JsonNode set = BY_KIND_AND_NAME.get("StatefulSet/caretrail");
        JsonNode podLabels = set.at("/spec/template/metadata/labels");
        JsonNode policy = BY_KIND_AND_NAME.get("NetworkPolicy/caretrail").path("spec");
        assertThat(policy.at("/podSelector/matchLabels")).isEqualTo(podLabels);
        assertThat(policy.path("policyTypes").toString()).contains("Ingress");
        List<String> containerPorts = new ArrayList<>();
        container(set).path("ports").forEach(p -> containerPorts.add(p.path("name").asText()));
        Map<String, JsonNode> fromByPort = new HashMap<>();
        for (JsonNode rule : policy.path("ingress")) {
            for (JsonNode port : rule.path("ports")) {
                String name = port.path("port").asText();
                assertThat(containerPorts).as("a port the pods have").contains(name);
                assertThat(fromByPort.put(name, rule.path("from"))).as(name + " in one rule").isNull();
            }
        }
        assertThat(fromByPort.keySet()).as("every port of the pods is in the policy (else it is blocked)")
                .containsExactlyInAnyOrderElementsOf(containerPorts);
        assertThat(fromByPort.get("http").isMissingNode() || fromByPort.get("http").isEmpty()).isTrue();
        assertThat(fromByPort.get("mllp").isMissingNode() || fromByPort.get("mllp").isEmpty()).isTrue();
        // the peer port: the platform pods only, from this namespace (no namespaceSelector)
        assertThat(fromByPort.get("peers")).singleElement().satisfies(from -> {
            assertThat(from.at("/podSelector/matchLabels")).isEqualTo(podLabels);
            assertThat(from.has("namespaceSelector")).isFalse();
        });
        // the health port (/metrics names wards and counts): Prometheus only, never everyone
        assertThat(fromByPort.get("health")).isNotEmpty().allSatisfy(from ->
                assertThat(from.at("/podSelector/matchLabels").size()).isPositive());
    }

    @Test
    void thePlatformRunsUpOnTheClusterBehindAnApiTokenAndAdvertisesItsPodName() {
        JsonNode set = BY_KIND_AND_NAME.get("StatefulSet/caretrail");
        JsonNode container = container(set);
        CommandLine.ParseResult up = parse(container).subcommand();
        assertThat(up.commandSpec().name()).isEqualTo("up");
        assertThat(up.matchedOptionValue("--http-host", "")).isEqualTo("0.0.0.0");
        assertThat(up.matchedOptionValue("--patients", -1)).as("no simulator on a real cluster").isZero();
        assertThat(up.matchedOptionValue("--bootstrap-servers", "")).isEqualTo("kafka:9092");
        assertThat(up.matchedOptionValue("--advertised-http-host", ""))
                .isEqualTo("caretrail-0." + set.at("/spec/serviceName").asText());
        // beyond loopback the platform insists on a token: it comes from a Secret
        assertThat(env(container).get(ApiAccess.TOKEN_ENV).at("/valueFrom/secretKeyRef/name").asText())
                .isEqualTo("caretrail-api-token");
        assertThat(env(container).get("POD_NAME").at("/valueFrom/fieldRef/fieldPath").asText())
                .isEqualTo("metadata.name");

        int http = up.matchedOptionValue("--http-port", -1);
        int mllp = up.matchedOptionValue("--mllp-port", -1);
        assertThat(http).isEqualTo(PlatformSettings.DEFAULT_HTTP_PORT);
        assertThat(mllp).isEqualTo(PlatformSettings.DEFAULT_MLLP_PORT);
        Map<String, Integer> ports = new HashMap<>();
        container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        assertThat(ports).containsEntry("http", http).containsEntry("mllp", mllp);
        int health = up.matchedOptionValue("--health-port", -1);
        assertThat(health).isEqualTo(PlatformSettings.DEFAULT_HEALTH_PORT);
        assertThat(ports).containsEntry("health", health);
        // the probes go to the health port, which a flood on the API cannot starve
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
        assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("health");
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
        assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("health");

        String dataDir = up.matchedOptionValue("--data-dir", Path.of("")).toString();
        assertThat(container.path("volumeMounts")).anySatisfy(m -> {
            assertThat(m.path("mountPath").asText()).isEqualTo(dataDir);
            assertThat(set.at("/spec/volumeClaimTemplates/0/metadata/name").asText())
                    .isEqualTo(m.path("name").asText());
        });
    }

    @Test
    void thePlatformReadsItsSettingsFileFromTheConfigMapAndEveryKeyInItIsAKnownSettingWithAGoodValue()
            throws IOException {
        JsonNode set = BY_KIND_AND_NAME.get("StatefulSet/caretrail");
        JsonNode container = container(set);
        CommandLine.ParseResult up = parse(container).subcommand();
        assertSettingsFileMounted(set, up.matchedOptionValue("--config", Path.of("")));

        String text = BY_KIND_AND_NAME.get("ConfigMap/caretrail").at("/data/caretrail.properties").asText();
        java.util.Properties file = new java.util.Properties();
        file.load(new java.io.StringReader(text));
        // every key known, every value passing its check (resolve throws naming the key otherwise)
        org.caretrail.events.settings.Settings resolved = org.caretrail.events.settings.Settings.resolve(
                org.caretrail.deploy.cli.SettingsCatalog.ALL, Map.of(), Map.of(), file, "ConfigMap caretrail");
        assertThat(file.stringPropertyNames()).contains(org.caretrail.events.kafka.DurableProducer.COMPRESSION.name());
        assertThat(resolved.get(org.caretrail.timeline.TimelineSettings.NUM_STANDBY_REPLICAS)).isEqualTo(1);
        // settings in the file are not given again as options that would silently win over it
        assertThat(up.matchedOption("--standby-replicas")).isNull();
    }

    @Test
    void theServicesSelectThePlatformPodsAndExposeItsPorts() {
        JsonNode podLabels = BY_KIND_AND_NAME.get("StatefulSet/caretrail").at("/spec/template/metadata/labels");
        assertThat(BY_KIND_AND_NAME.get("StatefulSet/caretrail").at("/spec/selector/matchLabels")).isEqualTo(podLabels);
        // clients reach HTTP and MLLP; the pods also reach each other's peer port (mutual TLS), by pod name only
        Map<String, List<String>> exposed = Map.of("Service/caretrail", List.of("http", "mllp"),
                "Service/caretrail-headless", List.of("http", "mllp", "peers"));
        List<String> containerPorts = new ArrayList<>();
        BY_KIND_AND_NAME.get("StatefulSet/caretrail").at("/spec/template/spec/containers/0/ports")
                .forEach(p -> containerPorts.add(p.path("name").asText()));
        for (String service : exposed.keySet()) {
            JsonNode spec = BY_KIND_AND_NAME.get(service).path("spec");
            spec.path("selector").fields().forEachRemaining(label ->
                    assertThat(podLabels.path(label.getKey()).asText()).as(service + " selects " + label.getKey())
                            .isEqualTo(label.getValue().asText()));
            spec.path("ports").forEach(port -> assertThat(exposed.get(service))
                    .contains(port.path("targetPort").asText()));
            spec.path("ports").forEach(port -> assertThat(containerPorts).contains(port.path("targetPort").asText()));
        }
        assertThat(BY_KIND_AND_NAME.get("StatefulSet/caretrail").at("/spec/template/spec/containers/0/args").toString())
                .as("the peer port is fixed, so the headless Service can name it").contains("--peer-port=8443");
        assertThat(BY_KIND_AND_NAME.get("Service/caretrail-headless").at("/spec/clusterIP").asText()).isEqualTo("None");
        assertThat(BY_KIND_AND_NAME.get("StatefulSet/caretrail").at("/spec/serviceName").asText())
                .isEqualTo("caretrail-headless");
    }
}
