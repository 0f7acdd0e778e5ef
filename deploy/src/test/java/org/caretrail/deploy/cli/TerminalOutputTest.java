package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.caretrail.events.NhsNumber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What {@code caretrail audit}, {@code timeline} and {@code replay} print, given hostile values: a
 * provider's text or a caller's header with ANSI escapes (clear the screen, recolour, set the window
 * title), carriage returns and backspaces (rewrite a line), line feeds (forge an audit line), C1
 * controls and bidirectional overrides. None of them may reach the terminal.
 */
class TerminalOutputTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Each a way to make a terminal do something, or show something, that is not the text. */
    private static final String HOSTILE = "Ward 7\u001b[2J\u001b[H\u001b[31mFAKE\u001b]0;owned\u0007\r\b\b\u009b31m"
            + "\u202Eli.exe\u202C\u2066x\u2069\u200F\u0000\u007f\u0085\ttab\nforged line";
    private static final String PATIENT = NhsNumber.withCheckDigit("999000001").orElseThrow().value();

    private HttpServer api;
    private final AtomicReference<String> answer = new AtomicReference<>();
    private final AtomicReference<Integer> status = new AtomicReference<>(200);

    @BeforeEach
    void start() throws Exception {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/", exchange -> {
            byte[] body = answer.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status.get(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        api.start();
    }

    @AfterEach
    void stop() {
        api.stop(0);
    }

    /** No control character of any kind, and no bidirectional control. */
    private static void assertPrintable(String printed) {
        for (int i = 0; i < printed.length(); i++) {
            char c = printed.charAt(i);
            if (c == '\n') {
                continue; // the lines the command itself ends
            }
            assertThat(c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == '\u061C' || c == '\u200E'
                    || c == '\u200F' || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069'))
                    .as("U+%04X at %d in: %s", (int) c, i, printed).isFalse();
        }
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = CareTrail.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void controlsAreRemovedAndWordsKept() {
        String clean = TerminalText.clean(HOSTILE);
        assertPrintable(clean);
        assertThat(clean).startsWith("Ward 7[2J[H[31mFAKE]0;owned").contains("li.exe").contains(" tab forged line")
                .doesNotContain("\n");
        assertThat(TerminalText.clean("Zoë Ó Súilleabháin, 北京, مستشفى")).isEqualTo("Zoë Ó Súilleabháin, 北京, مستشفى");
        assertThat(TerminalText.clean(null)).isEqualTo("-");
    }

    @Test
    void anAuditRecordIsOneCleanLineWhateverTheCallerSent() throws Exception {
        JsonNode call = JSON.readTree(JSON.writeValueAsString(java.util.Map.of(
                "at", "2026-12-01T10:00:00Z", "status", 200, "method", "GET", "remoteAddress", "127.0.0.1",
                "user", "dr.who\r  2026-12-01T09:00:00Z 200 GET 10.0.0.9 innocent /api/v1/patients/x\u001b[2K",
                "path", "/api/v1/patients/" + PATIENT + "/timeline\u001b[8m",
                "query", "asOf=\n  forged")));
        String line = AuditCommand.line(call);
        assertPrintable(line);
        assertThat(line).doesNotContain("\n").contains("dr.who").contains("/timeline[8m?asOf=   forged");
    }

    @Test
    void theTimelineIsPrintedWithoutWhatProvidersHidInTheirText() throws Exception {
        String hostile = JSON.writeValueAsString(HOSTILE);
        answer.set("{\"nhsNumber\":\"" + PATIENT + "\",\"summary\":{\"deceased\":true,\"diedAt\":\"2026-11-15T03:00:00Z\","
                + "\"deathRecordedBy\":" + hostile + ",\"registeredPracticeOdsCode\":\"A81001\","
                + "\"registeredPracticeName\":" + hostile + ",\"spells\":[{\"odsCode\":\"RX1\",\"admittedAt\":"
                + "\"2026-11-10T08:00:00Z\",\"dischargedAt\":null,\"currentWard\":" + hostile + ",\"admissionSeen\":false,"
                + "\"location\":{\"pointOfCare\":\"Ward 7\",\"room\":\"Bay 2\",\"bed\":\"Bed 4\",\"site\":" + hostile + "}}],"
                + "\"openReferrals\":[{\"summary\":" + hostile + ",\"waitingDays\":3}],"
                + "\"medications\":[{\"medication\":" + hostile + ",\"dose\":\"1 daily\",\"lastIssuedAt\":"
                + "\"2026-11-01T10:00:00Z\",\"lastIssuedBy\":{\"odsCode\":\"FA123\",\"name\":" + hostile + "}}],"
                + "\"currentEntries\":2},\"entries\":[{\"occurredAt\":\"2026-11-10T08:00:00Z\",\"type\":\"ADMISSION\","
                + "\"status\":\"CURRENT\",\"source\":{\"kind\":\"ACUTE\",\"odsCode\":" + hostile + "},\"summary\":"
                + hostile + "}]}");

        Run readable = run("timeline", PATIENT, "--api-url", "http://127.0.0.1:" + api.getAddress().getPort());
        assertThat(readable.exit()).as(readable.err()).isZero();
        assertPrintable(readable.out());
        assertThat(readable.out()).contains("Deceased 2026-11-15T03:00:00Z, recorded by Ward 7")
                .contains("In hospital now: RX1, ward Ward 7, bay Bay 2, bed Bed 4, Ward 7")
                .contains("the admission itself has not arrived").contains("Medication: Ward 7");

        Run json = run("timeline", PATIENT, "--api-url", "http://127.0.0.1:" + api.getAddress().getPort(), "--json");
        assertThat(json.exit()).isZero();
        assertPrintable(json.out());
        assertThat(json.out()).contains("\\u001B[2J").contains("\\u202E");
        assertThat(JSON.readTree(json.out()).at("/summary/deathRecordedBy").asText()).isEqualTo(HOSTILE);
    }

    @Test
    void errorsQuotingTheApiOrTheCommandLineAreCleanToo() {
        status.set(500);
        answer.set("{\"status\":500,\"error\":\"boom\\u001b[2J\\u001b]0;owned\\u0007\"}");
        Run failed = run("timeline", PATIENT, "--api-url", "http://127.0.0.1:" + api.getAddress().getPort());
        assertThat(failed.exit()).isEqualTo(1);
        assertPrintable(failed.err().replace("\r\n", "\n"));
        assertThat(failed.err()).contains("HTTP 500: boom[2J]0;owned");

        Run badNumber = run("timeline", "999\u001b[31m0000018");
        assertThat(badNumber.exit()).isEqualTo(2);
        assertPrintable(badNumber.err());
        Run badAudit = run("audit", "12\u001b]0;x\u0007");
        assertThat(badAudit.exit()).isEqualTo(2);
        assertPrintable(badAudit.err());

        Run badTime = run("replay", "--from", "2026\u001b[2J", "--out", "x.csv", "--key-file", "k");
        assertThat(badTime.exit()).isEqualTo(2);
        assertPrintable(badTime.err());
    }

    @Test
    void replayRefusesToRunWithoutSayingHowToTreatIdentifiers() {
        Run noKey = run("replay", "--from", "2026-11-01T00:00:00Z", "--out", "x.csv");
        assertThat(noKey.exit()).isEqualTo(2);
        assertThat(noKey.err()).contains("replay output is pseudonymised").contains("--key-file");
        Run both = run("replay", "--from", "2026-11-01T00:00:00Z", "--out", "x.csv", "--identifiable",
                "--key-file", "k");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("cannot be combined");
    }
}
