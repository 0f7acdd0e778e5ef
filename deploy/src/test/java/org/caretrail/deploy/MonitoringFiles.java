package org.caretrail.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator's monitoring files in {@code deploy/monitoring}, read as Grafana and Prometheus read
 * them, and the metric names their queries use (for tests that compare them with {@code /metrics}).
 */
public final class MonitoringFiles {

    public static final Path DIR = locate();
    public static final Path DASHBOARD = DIR.resolve("grafana-dashboard.json");
    public static final Path ALERTS = DIR.resolve("prometheus-alerts.yml");
    /** Series Prometheus makes itself for every target (not exposed by CareTrail). */
    public static final Set<String> PROMETHEUS_OWN = Set.of("up");

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan");
    private static final Pattern LABEL_LIST = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![0-9.a-zA-Z_:])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()");

    private MonitoringFiles() {
    }

    private static Path locate() {
        Path here = Path.of("monitoring");
        return Files.isDirectory(here) ? here : Path.of("deploy", "monitoring");
    }

    public static JsonNode dashboard() throws IOException {
        return new ObjectMapper().readTree(DASHBOARD.toFile());
    }

    public static JsonNode alerts() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(ALERTS.toFile());
    }

    /** Every PromQL expression of the dashboard's panels (rows' nested panels too). */
    public static List<String> dashboardQueries() throws IOException {
        List<String> queries = new ArrayList<>();
        collect(dashboard().path("panels"), queries);
        return queries;
    }

    private static void collect(JsonNode panels, List<String> queries) {
        for (JsonNode panel : panels) {
            panel.path("targets").forEach(t -> queries.add(t.path("expr").asText()));
            collect(panel.path("panels"), queries);
        }
    }

    /** Every alert rule's expression. */
    public static List<String> alertQueries() throws IOException {
        List<String> queries = new ArrayList<>();
        for (JsonNode group : alerts().path("groups")) {
            group.path("rules").forEach(rule -> queries.add(rule.path("expr").asText()));
        }
        return queries;
    }

    /**
     * The metric names a PromQL expression selects: what is left once strings, label matchers, ranges,
     * grouping label lists, function names, keywords and numbers are taken out.
     */
    public static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ");
        s = LABEL_LIST.matcher(s).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            if (!KEYWORDS.contains(m.group(1).toLowerCase())) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** Every metric name the dashboard and the alert rules use. */
    public static Set<String> allMetricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        dashboardQueries().forEach(q -> names.addAll(metricNames(q)));
        alertQueries().forEach(q -> names.addAll(metricNames(q)));
        return names;
    }

    /** The metric names of a Prometheus text scrape (the sample lines, not the comments). */
    public static Set<String> scrapedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                Matcher m = Pattern.compile("^[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(line);
                if (m.find()) {
                    names.add(m.group());
                }
            }
        }
        return names;
    }
}
