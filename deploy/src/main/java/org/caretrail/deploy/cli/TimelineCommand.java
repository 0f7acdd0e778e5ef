package org.caretrail.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.json.CareEventJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "timeline", mixinStandardHelpOptions = true,
        description = "Print a patient's joined-up timeline, read from the timeline API of a running platform.")
final class TimelineCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NHS_NUMBER", description = "The patient's NHS number (spaces allowed)")
    String nhsNumber;

    /** Where {@code timeline} reads from (a {@code client.*} setting, like the other commands' connections). */
    static final org.caretrail.events.settings.Setting<String> API_URL = org.caretrail.events.settings.Setting
            .text("client.api-url", "http://127.0.0.1:8080", "The platform's HTTP address caretrail timeline reads "
                    + "from.")
            .alsoFromEnv("CARETRAIL_API_URL").checkedBy(ConnectionOptions::httpUrlProblem);
    /** The file holding the token {@code timeline} sends when access.api-token is not set. */
    static final org.caretrail.events.settings.Setting<String> API_TOKEN_FILE = org.caretrail.events.settings.Setting
            .text("client.api-token-file", "data/" + AccessOptions.TOKEN_FILE, "The API token caretrail timeline "
                    + "sends (first line) when access.api-token is not set: where caretrail up makes it by default.");
    static final java.util.List<org.caretrail.events.settings.Setting<?>> DEFINITIONS = java.util.List.of(API_URL,
            API_TOKEN_FILE);

    // null unless given: the setting (environment, --config, default) fills the rest
    @Option(names = "--api-url", description = "The platform's HTTP address (setting client.api-url; default: "
            + "http://127.0.0.1:8080; env CARETRAIL_API_URL)")
    String apiUrl;

    @Option(names = "--as-of", paramLabel = "TIMESTAMP",
            description = "The timeline as known from events recorded at or before this ISO-8601 instant")
    String asOf;

    @Option(names = "--json", description = "Print the API's JSON instead")
    boolean json;

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "The platform's API token (first line), when access.api-token ("
                    + org.caretrail.deploy.http.ApiAccess.TOKEN_ENV + ") is not set (setting client.api-token-file; "
                    + "default: data/" + AccessOptions.TOKEN_FILE + ", where `caretrail up` makes it)")
    java.nio.file.Path apiTokenFile;

    @picocli.CommandLine.Mixin
    SettingsSources sources;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        java.io.PrintWriter out = spec.commandLine().getOut();
        java.io.PrintWriter err = spec.commandLine().getErr();
        try {
            return show(out, err);
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int show(java.io.PrintWriter out, java.io.PrintWriter err) throws Exception {
        String problem = NhsNumber.problem(nhsNumber);
        if (problem != null) {
            err.println("caretrail: " + TerminalText.clean(problem));
            return 2;
        }
        NhsNumber nhs = NhsNumber.of(nhsNumber);
        java.util.Map<String, String> given = new java.util.LinkedHashMap<>();
        if (this.apiUrl != null) {
            given.put(API_URL.name(), this.apiUrl);
        }
        if (this.apiTokenFile != null) {
            given.put(API_TOKEN_FILE.name(), this.apiTokenFile.toString());
        }
        org.caretrail.events.settings.Settings settings = sources.resolve(given);
        String baseUrl = settings.get(API_URL).strip();
        java.nio.file.Path tokenFile = java.nio.file.Path.of(settings.get(API_TOKEN_FILE));
        String url = baseUrl + "/api/v1/patients/" + nhs.value() + "/timeline"
                + (asOf == null ? "" : "?asOf=" + URLEncoder.encode(asOf, StandardCharsets.UTF_8));
        HttpResponse<String> response;
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
            // the token caretrail up accepts: access.api-token (CARETRAIL_API_TOKEN as before, or --config, --set)
            String token = settings.get(AccessOptions.API_TOKEN);
            if ((token == null || token.isBlank()) && java.nio.file.Files.isReadable(tokenFile)) {
                token = java.nio.file.Files.readAllLines(tokenFile).stream().findFirst().orElse(null);
            }
            if (token != null && !token.isBlank()) {
                request.header("Authorization", "Bearer " + token.strip());
            }
            response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException | IllegalArgumentException e) {
            err.println("caretrail: cannot reach the timeline API at " + TerminalText.clean(baseUrl)
                    + " (is `caretrail up` running? use --api-url to point elsewhere)");
            return 1;
        }
        if (response.statusCode() == 401) {
            err.println("caretrail: the timeline API did not accept the API token: set "
                    + org.caretrail.deploy.http.ApiAccess.TOKEN_ENV + " or --api-token-file");
            return 1;
        }
        if (response.statusCode() == 403) {
            err.println("caretrail: this token may not read timelines (it needs the clinician role)");
            return 1;
        }
        if (response.statusCode() == 404) {
            String mergedInto = mergedInto(response.body());
            err.println("caretrail: no timeline for " + nhs.formatted() + (mergedInto == null
                    ? " (no events for this patient yet)"
                    : ": it was merged into " + TerminalText.clean(mergedInto) + "; try caretrail timeline "
                            + TerminalText.clean(mergedInto)));
            return 1;
        }
        if (response.statusCode() != 200) {
            err.println("caretrail: the timeline API answered HTTP " + response.statusCode() + ": "
                    + TerminalText.clean(errorText(response.body())));
            return 1;
        }
        if (json) {
            // JSON escapes C0 controls; non-ASCII is escaped too, so C1 controls and bidi overrides never reach the terminal
            out.println(ASCII_JSON.writeValueAsString(CareEventJson.mapper().readTree(response.body())));
            return 0;
        }
        out.print(TimelineText.render(CareEventJson.mapper().readTree(response.body())));
        return 0;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper ASCII_JSON = asciiJson();

    /** JSON in printable ASCII only: controls, DEL and every non-ASCII character as {@code \\uXXXX}. */
    private static com.fasterxml.jackson.databind.ObjectMapper asciiJson() {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper().enable(
                com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature());
        mapper.getFactory().setCharacterEscapes(new com.fasterxml.jackson.core.io.CharacterEscapes() {
            private static final long serialVersionUID = 1L;
            private final int[] ascii = standardAsciiEscapesForJSON();

            {
                ascii[0x7F] = ESCAPE_STANDARD; // DEL: JSON lets it through, a terminal should not see it
            }

            @Override
            public int[] getEscapeCodesForAscii() {
                return ascii;
            }

            @Override
            public com.fasterxml.jackson.core.SerializableString getEscapeSequence(int ch) {
                return null;
            }
        });
        return mapper;
    }

    /** The API's error message ({@code "error"}), or the start of the body when it is not the API's JSON. */
    private static String errorText(String body) {
        try {
            JsonNode node = CareEventJson.mapper().readTree(body);
            if (node != null && node.path("error").isTextual()) {
                return node.path("error").asText();
            }
        } catch (java.io.IOException e) {
            // not JSON: shown cut short below
        }
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }

    private static String mergedInto(String body) {
        try {
            JsonNode node = CareEventJson.mapper().readTree(body);
            return node != null && node.path("mergedInto").isTextual() ? node.path("mergedInto").asText() : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * The readable form of the timeline API's JSON. Every value in it came from a provider's system
     * (summaries, ward and organisation names) and is printed without control characters
     * ({@link TerminalText}).
     */
    static final class TimelineText {

        static String render(JsonNode timeline) {
            StringBuilder out = new StringBuilder();
            String nhs = timeline.path("nhsNumber").asText();
            out.append("Timeline for NHS number ").append(NhsNumber.isValid(nhs) ? NhsNumber.of(nhs).formatted() : t(nhs))
                    .append('\n');
            JsonNode summary = timeline.path("summary");
            if (!summary.isMissingNode()) {
                if (summary.path("deceased").asBoolean(false)) {
                    out.append("  Deceased ").append(t(summary.path("diedAt").asText("")));
                    if (summary.path("deathRecordedBy").isTextual()) {
                        out.append(", recorded by ").append(t(summary.path("deathRecordedBy").asText()));
                    }
                    out.append('\n');
                }
                String practice = summary.path("registeredPracticeOdsCode").asText("");
                if (!practice.isEmpty() && !"null".equals(practice)) {
                    out.append("  Registered GP practice: ").append(t(summary.path("registeredPracticeName").asText(practice)))
                            .append(" (").append(t(practice)).append(")\n");
                }
                for (JsonNode spell : summary.path("spells")) {
                    if (spell.path("dischargedAt").isNull() || spell.path("dischargedAt").isMissingNode()) {
                        out.append("  In hospital now: ").append(t(spell.path("odsCode").asText())).append(", ")
                                .append(t(where(spell))).append(", since ").append(t(spell.path("admittedAt").asText()));
                        if (!spell.path("admissionSeen").asBoolean(true)) {
                            out.append(" (first seen then; the admission itself has not arrived)");
                        }
                        out.append('\n');
                    }
                }
                for (JsonNode referral : summary.path("openReferrals")) {
                    out.append("  Open referral: ").append(t(referral.path("summary").asText()));
                    if (referral.has("waitingDays")) {
                        out.append(", waiting ").append(referral.path("waitingDays").asLong()).append(" days");
                    }
                    out.append('\n');
                }
                if (summary.path("medications").isArray() && !summary.path("medications").isEmpty()) {
                    for (JsonNode medicine : summary.path("medications")) {
                        out.append("  Medication: ").append(t(medicine.path("medication").asText()));
                        if (medicine.path("dose").isTextual()) {
                            out.append(", ").append(t(medicine.path("dose").asText()));
                        }
                        JsonNode by = medicine.path("lastIssuedBy");
                        out.append("; last issued ").append(t(medicine.path("lastIssuedAt").asText()))
                                .append(" by ").append(t(by.path("name").asText(by.path("odsCode").asText())))
                                .append('\n');
                    }
                } else {
                    for (JsonNode prescription : summary.path("currentPrescriptions")) {
                        out.append("  Current prescription: ").append(t(prescription.path("summary").asText()))
                                .append('\n');
                    }
                }
                out.append("  ").append(summary.path("currentEntries").asInt(timeline.path("entries").size()))
                        .append(" current entries");
                int withdrawn = summary.path("withdrawnEntries").asInt(0);
                if (withdrawn > 0) {
                    out.append(", ").append(withdrawn).append(" withdrawn");
                }
                out.append('\n');
            }
            out.append('\n');
            for (JsonNode entry : timeline.path("entries")) {
                String when = entry.path("occurredAt").asText().replace('T', ' ').replace("Z", "");
                if (when.length() > 16) {
                    when = when.substring(0, 16);
                }
                JsonNode source = entry.path("source");
                out.append(String.format("%-16s  %-13s %-8s %-20s %s%s%n", t(when), t(source.path("kind").asText()),
                        t(source.path("odsCode").asText()), t(entry.path("type").asText()),
                        t(entry.path("summary").asText()),
                        "WITHDRAWN".equals(entry.path("status").asText()) ? "  [withdrawn]" : ""));
            }
            if (timeline.path("truncated").asBoolean(false)) {
                out.append("(older entries left out: page through the API for the full history)\n");
            }
            return out.toString();
        }

        /** Where in the hospital: ward, bay, bed and site when the spell has a location, else the ward. */
        private static String where(JsonNode spell) {
            JsonNode location = spell.path("location");
            if (location.isObject()) {
                StringBuilder text = new StringBuilder();
                for (String[] part : new String[][] {{"pointOfCare", "ward "}, {"room", "bay "}, {"bed", "bed "},
                    {"site", ""}}) {
                    if (location.path(part[0]).isTextual()) {
                        text.append(text.length() == 0 ? "" : ", ").append(part[1]).append(location.path(part[0]).asText());
                    }
                }
                if (text.length() > 0) {
                    return text.toString();
                }
            }
            return spell.path("currentWard").asText("ward unknown");
        }

        private static String t(String text) {
            return TerminalText.clean(text);
        }
    }
}
