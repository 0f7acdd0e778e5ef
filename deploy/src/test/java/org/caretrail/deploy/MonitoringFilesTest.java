package org.caretrail.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.caretrail.events.metrics.CareMetrics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard and the Prometheus alert rules in {@code deploy/monitoring} are well formed and
 * query only metrics CareTrail defines. (That the running platform really exposes each of them, with the
 * labels the queries use, is checked on a real platform by {@code org.caretrail.it.platform.MetricsIT}.)
 */
class MonitoringFilesTest {

    @Test
    void everyAlertRuleHasItsParts() throws Exception {
        JsonNode groups = MonitoringFiles.alerts().path("groups");
        assertThat(groups.size()).isPositive();
        Set<String> names = new HashSet<>();
        int rules = 0;
        for (JsonNode group : groups) {
            assertThat(group.path("name").asText()).isNotBlank();
            for (JsonNode rule : group.path("rules")) {
                rules++;
                String alert = rule.path("alert").asText();
                assertThat(alert).as("alert name").matches("CareTrail[A-Z][A-Za-z]+");
                assertThat(names.add(alert)).as("alert %s is unique", alert).isTrue();
                assertThat(rule.path("expr").asText()).as("%s expr", alert).isNotBlank();
                assertThat(balanced(rule.path("expr").asText())).as("%s expr balanced", alert).isTrue();
                assertThat(rule.path("for").asText()).as("%s for", alert).matches("\\d+[smhd]");
                assertThat(rule.path("labels").path("severity").asText()).as("%s severity", alert)
                        .isIn("warning", "critical");
                assertThat(rule.path("annotations").path("summary").asText()).as("%s summary", alert).isNotBlank();
                assertThat(rule.path("annotations").path("description").asText()).as("%s description", alert)
                        .isNotBlank();
            }
        }
        // the brief's alerts: lag growing, freshness stale, dead letters, MLLP AE/AR, parked, processor, broker
        assertThat(names).contains("CareTrailTimelineLagGrowing", "CareTrailTimelineStale", "CareTrailDeadLetters",
                "CareTrailMllpRejections", "CareTrailSubscriptionParked", "CareTrailStreamProcessorUnhealthy",
                "CareTrailBrokerDown");
        assertThat(rules).isEqualTo(names.size());
    }

    @Test
    void promtoolAcceptsTheRulesAndRefusesABrokenOne(@TempDir Path dir) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        Assumptions.assumeTrue(Files.isExecutable(promtool), "Debian's prometheus package (promtool) is not installed");
        assertThat(run(promtool, MonitoringFiles.ALERTS)).isZero();
        // the check can fail: the same file with one expression cut short
        Path broken = dir.resolve("broken.yml");
        Files.writeString(broken, Files.readString(MonitoringFiles.ALERTS)
                .replace("expr: caretrail_health_up{part=\"broker\"} == 0", "expr: sum(caretrail_health_up{part=\"broker\"} == 0"));
        assertThat(run(promtool, broken)).isNotZero();
    }

    @Test
    void everyDashboardPanelQueriesSomething() throws Exception {
        JsonNode dashboard = MonitoringFiles.dashboard();
        assertThat(dashboard.path("title").asText()).isEqualTo("CareTrail");
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        int panels = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            panels++;
            assertThat(panel.path("targets").size()).as("panel %s has queries", panel.path("title")).isPositive();
            panel.path("targets").forEach(t -> assertThat(balanced(t.path("expr").asText()))
                    .as("%s balanced", t.path("expr").asText()).isTrue());
        }
        assertThat(panels).isGreaterThanOrEqualTo(10);
    }

    @Test
    void everyQueriedMetricIsOneCareMetricsNames() throws Exception {
        Set<String> used = MonitoringFiles.allMetricNames();
        Set<String> defined = renderedCareMetrics();
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(defined);
        unknown.removeAll(MonitoringFiles.PROMETHEUS_OWN);
        assertThat(unknown).as("metrics the dashboard or alerts use that CareMetrics does not define").isEmpty();
        // and the files cover the meters the brief names
        assertThat(used).contains("caretrail_mllp_messages_total", "caretrail_fhir_requests_total",
                "caretrail_events_published_total", "caretrail_events_rejected_total", "caretrail_dead_letters_total",
                "caretrail_timeline_lag_records", "caretrail_timeline_freshness_seconds",
                "caretrail_timeline_unresolved_events", "caretrail_delivery_lag", "caretrail_delivery_parked",
                "caretrail_delivery_retries_total", "caretrail_health_up");
    }

    @Test
    void metricNamesAreReadFromPromQlAsPrometheusDoes() {
        assertThat(MonitoringFiles.metricNames(
                "sum by (reason, origin) (increase(caretrail_dead_letters_total{origin=\"mllp\"}[15m])) > 10"))
                .containsExactly("caretrail_dead_letters_total");
        assertThat(MonitoringFiles.metricNames("a_b > 1e-9 and on (x) deriv(c[5m]) > 0 or up{job=\"x y\"} == 0"))
                .containsExactly("a_b", "c", "up");
    }

    /**
     * Every name {@link CareMetrics} defines, as Prometheus renders it: each registered as a counter and as
     * a gauge in a real Prometheus registry, and read back from its scrape (so the test does not restate
     * Micrometer's naming rules).
     */
    private static Set<String> renderedCareMetrics() throws IllegalAccessException {
        List<String> names = new ArrayList<>();
        for (Field f : CareMetrics.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class
                    && ((String) f.get(null)).startsWith("caretrail.")) {
                names.add((String) f.get(null));
            }
        }
        assertThat(names).hasSizeGreaterThan(10);
        Set<String> rendered = new TreeSet<>();
        PrometheusMeterRegistry counters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PrometheusMeterRegistry gauges = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (String name : names) {
            Counter.builder(name).register(counters).increment();
            Gauge.builder(name, () -> 1).register(gauges);
        }
        rendered.addAll(MonitoringFiles.scrapedNames(counters.scrape()));
        rendered.addAll(MonitoringFiles.scrapedNames(gauges.scrape()));
        return rendered;
    }

    private static boolean balanced(String expr) {
        java.util.Deque<Character> open = new java.util.ArrayDeque<>();
        boolean quoted = false;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    quoted = false;
                }
                continue;
            }
            switch (c) {
                case '"' -> quoted = true;
                case '(', '{', '[' -> open.push(c);
                case ')', '}', ']' -> {
                    char want = c == ')' ? '(' : c == '}' ? '{' : '[';
                    if (open.isEmpty() || open.pop() != want) {
                        return false;
                    }
                }
                default -> { }
            }
        }
        return open.isEmpty() && !quoted;
    }

    private static int run(Path promtool, Path rules) throws Exception {
        Process p = new ProcessBuilder(promtool.toString(), "check", "rules", rules.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        System.out.println(out);
        return p.exitValue();
    }
}
