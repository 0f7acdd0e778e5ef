package org.caretrail.it.webview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.consumers.webview.TimelineWebView;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.query.TimelineApi;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The timeline web view in a real browser (headless Chromium), on the real broker, registry and
 * stream processor: what a clinician sees is the patient's joined-up timeline, its derived views,
 * paging, filters, history and "as known at", and errors said plainly. Provider text is shown as
 * text, never run as markup.
 */
@Tag("integration")
class TimelineWebViewIT {

    private static final String EXAMPLES = "../examples/care-events.jsonl";
    private static final String HOSTILE = "<img src=x onerror=\"document.body.dataset.pwned='yes'\">Cardiology";
    private static final int PRESCRIPTIONS = 60;

    @Test
    void aClinicianSeesTheJoinedUpTimelineInARealBrowser() throws Exception {
        Optional<Chromium> found = Chromium.find();
        if (System.getenv("CARETRAIL_REQUIRE_BROWSER") == null) {
            Assumptions.assumeTrue(found.isPresent(), "no Chromium here (.ci/run installs Debian's chromium)");
        }
        Chromium browser = found.orElseThrow(() -> new AssertionError(
                "CARETRAIL_REQUIRE_BROWSER is set but no chromium was found"));
        String other = nhs("999000123");
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
            TimelineSettings settings = TimelineSettings.defaults()
                    .with(TimelineSettings.APPLICATION_ID, "it-webview-" + System.nanoTime())
                    .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                    .with(TimelineSettings.STATE_DIR, Files.createTempDirectory(
                            Files.createDirectories(Path.of("target/it-data")), "webview-state-"));
            try (TimelineApplication app = new TimelineApplication(settings, topics);
                 PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", 0, () -> "");
                 CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(), topics, "it-webview")) {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
                http.mount(TimelineApi.PATH_PREFIX, app.api()).mountPublic(TimelineWebView.PATH, new TimelineWebView()).start();
                String base = "http://127.0.0.1:" + http.port();

                List<SpecificRecord> events = new ArrayList<>();
                for (String line : Files.readAllLines(Path.of(EXAMPLES))) {
                    events.add(CareEventJson.parseEvent(line).event());
                }
                events.addAll(inHospitalPatient(other));
                List<CompletableFuture<?>> sent = new ArrayList<>(publisher.publishAll(events));
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                int examplesEntries = awaitEntries(base, "9912003888", 11);
                awaitEntries(base, other, PRESCRIPTIONS + 2);

                // the worked example: one ordered timeline across provider kinds, with the derived facts
                Document page = loaded(browser, base + "/?nhs=9912003888");
                Elements rows = page.select("#entries tbody tr[data-type]");
                assertThat(rows).hasSize(examplesEntries);
                assertThat(rows.eachAttr("data-kind")).contains("GP", "ACUTE", "AMBULANCE", "SOCIAL_CARE");
                assertThat(rows.eachAttr("data-occurred-at").stream().map(Instant::parse).toList()).isSorted();
                assertThat(rows.eachAttr("data-type")).containsSubsequence("AMBULANCE_CONVEYANCE", "ATTENDANCE",
                        "ADMISSION", "TRANSFER", "DISCHARGE", "DEATH");
                assertThat(page.selectFirst("[data-fact=practice]").text())
                        .isEqualTo("The Synthetic Street Surgery (A81001)");
                assertThat(page.select("[data-fact=deceased]")).hasSize(1);
                assertThat(page.select("[data-fact=in-hospital]")).isEmpty();
                assertThat(page.select("#patient-title").text()).isEqualTo("NHS number 991 200 3888");

                // as known before the discharge: in hospital, not yet deceased
                Document asOf = loaded(browser, base + "/?nhs=9912003888&asOf=2026-10-22T00:00:00Z");
                assertThat(asOf.select("[data-fact=deceased]")).isEmpty();
                assertThat(asOf.select("[data-fact=in-hospital]")).hasSize(1);
                assertThat(asOf.select("#entries tbody tr[data-type]").eachAttr("data-type"))
                        .doesNotContain("DISCHARGE", "DEATH");

                // a patient in hospital now, with an open referral whose text carries markup, paged
                Document first = loaded(browser, base + "/?nhs=" + other);
                assertThat(first.selectFirst("[data-fact=in-hospital]").text()).contains("ward Ward 7B");
                assertThat(first.select("[data-view=spells] tr[data-open=true]")).hasSize(1);
                Element referrals = first.selectFirst("[data-view=open-referrals]");
                assertThat(referrals.text()).contains(HOSTILE).contains("waiting");
                assertThat(Long.parseLong(referrals.selectFirst(".wait").attr("data-waiting-days")))
                        .isGreaterThanOrEqualTo(Duration.between(Instant.parse("2026-10-11T08:00:00Z"),
                                Instant.now()).toDays());
                assertThat(first.select("img")).as("provider text is never markup").isEmpty();
                assertThat(first.body().attr("data-pwned")).isEmpty();
                assertThat(first.select("#entries tbody tr[data-type]")).hasSize(50);
                assertThat(first.select("#counts").text()).isEqualTo("(1–50 of " + (PRESCRIPTIONS + 2) + ")");
                assertThat(first.select("#pager a[rel=prev]")).isEmpty();
                Element next = first.selectFirst("#pager a[rel=next]");
                assertThat(next).isNotNull();

                Document second = loaded(browser, base + next.attr("href"));
                assertThat(second.select("#entries tbody tr[data-type]")).hasSize(PRESCRIPTIONS + 2 - 50);
                assertThat(second.select("#pager a[rel=prev]")).hasSize(1);
                assertThat(second.select("#pager a[rel=next]")).isEmpty();

                // filters and history: the cancelled appointment is only in the history
                Document appointments = loaded(browser, base + "/?nhs=" + other + "&types=APPOINTMENT");
                assertThat(appointments.select("#entries tbody tr[data-type]")).isEmpty();
                assertThat(appointments.select("#entries tbody").text()).isEqualTo("No entries match.");
                Document history = loaded(browser, base + "/?nhs=" + other + "&types=APPOINTMENT&history=true");
                assertThat(history.select("#entries tbody tr[data-type]").eachAttr("data-status"))
                        .containsExactly("WITHDRAWN");
                assertThat(history.select("#history").hasAttr("checked")).as("the form shows the query").isTrue();
                assertThat(history.select("#types option[selected]").eachAttr("value")).containsExactly("APPOINTMENT");

                // errors, said plainly
                Document invalid = browser.render(base + "/?nhs=9409401122");
                assertThat(invalid.body().attr("data-state")).isEqualTo("error");
                assertThat(invalid.select("#status").text()).contains("Modulus 11");
                Document unknown = browser.render(base + "/?nhs=" + nhs("999000999"));
                assertThat(unknown.body().attr("data-state")).isEqualTo("empty");
                assertThat(unknown.select("#status").text()).contains("No timeline for");

                // behind an API token, the page asks for it instead of showing anything
                try (PlatformHttpServer guarded = new PlatformHttpServer("127.0.0.1", 0, () -> "")) {
                    guarded.protectWith(ApiAccess.bearer("web-view-it-" + java.util.UUID.randomUUID()))
                            .mount(TimelineApi.PATH_PREFIX, app.api())
                            .mountPublic(TimelineWebView.PATH, new TimelineWebView()).start();
                    Document locked = browser.render("http://127.0.0.1:" + guarded.port() + "/?nhs=9912003888");
                    assertThat(locked.body().attr("data-state")).isEqualTo("auth");
                    assertThat(locked.select("#auth").hasAttr("hidden")).isFalse();
                    assertThat(locked.select("#patient").hasAttr("hidden")).isTrue();
                    assertThat(locked.select("#entries tbody tr")).isEmpty();
                }
            }
        }
    }

    private static Document loaded(Chromium browser, String url) throws Exception {
        Document page = browser.render(url);
        assertThat(page.body().attr("data-state")).as("%s rendered; status: %s", url, page.select("#status").text())
                .isEqualTo("loaded");
        return page;
    }

    /** Admitted (no discharge yet), an open referral, a cancelled appointment and many prescriptions. */
    private static List<SpecificRecord> inHospitalPatient(String nhs) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(EXAMPLES));
        List<SpecificRecord> events = new ArrayList<>();
        Instant admitted = Instant.parse("2026-11-10T08:00:00Z");
        ObjectNode admission = variant(line(lines, "admission"), nhs, "WV-SPELL-1", admitted, 1, "NEW");
        ((ObjectNode) admission.path("header").path("patient")).putNull("localId");
        admission.put("ward", "Ward 7B");
        events.add(parse(admission));
        ObjectNode referral = variant(line(lines, "referral"), nhs, "WV-REF-1", admitted.minus(Duration.ofDays(30)), 1,
                "NEW");
        referral.put("specialty", HOSTILE);
        events.add(parse(referral));
        events.add(parse(variant(line(lines, "appointment"), nhs, "WV-APPT-1", admitted.minus(Duration.ofDays(5)), 1,
                "NEW")));
        events.add(parse(variant(line(lines, "appointment"), nhs, "WV-APPT-1", admitted.minus(Duration.ofDays(5)), 2,
                "CANCEL")));
        for (int i = 0; i < PRESCRIPTIONS; i++) {
            events.add(parse(variant(line(lines, "prescription"), nhs, "WV-RX-" + i,
                    admitted.minus(Duration.ofDays(400 - i)), 1, "NEW")));
        }
        return events;
    }

    private static ObjectNode variant(JsonNode example, String nhs, String subjectId, Instant at, int version,
            String action) {
        ObjectNode event = example.deepCopy();
        ObjectNode header = (ObjectNode) event.path("header");
        header.put("eventId", java.util.UUID.randomUUID().toString());
        header.put("subjectId", subjectId);
        header.put("version", version);
        header.put("action", action);
        header.put("occurredAt", at.toString());
        header.put("recordedAt", at.plus(Duration.ofMinutes(version)).toString());
        ((ObjectNode) header.path("patient")).put("nhsNumber", nhs);
        return event;
    }

    private static JsonNode line(List<String> lines, String type) throws Exception {
        for (String line : lines) {
            JsonNode node = CareEventJson.mapper().readTree(line);
            if (type.equals(node.path("type").asText())) {
                return node;
            }
        }
        throw new AssertionError("no " + type + " in " + EXAMPLES);
    }

    private static SpecificRecord parse(JsonNode node) {
        return CareEventJson.parseEvent(node).event();
    }

    private static String nhs(String nineDigits) {
        for (int i = 0; i < 100; i++) {
            String candidate = String.valueOf(Long.parseLong(nineDigits) + i);
            Optional<NhsNumber> nhs = NhsNumber.withCheckDigit(candidate);
            if (nhs.isPresent()) {
                return nhs.get().value();
            }
        }
        throw new AssertionError("no valid NHS number near " + nineDigits);
    }

    /** Waits until the API has at least {@code atLeast} current entries for the patient; returns how many. */
    private static int awaitEntries(String base, String nhs, int atLeast) {
        HttpClient client = HttpClient.newHttpClient();
        int[] count = new int[1];
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create(base + TimelineApi.PATH_PREFIX + nhs + "/timeline?size=1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return false;
            }
            count[0] = CareEventJson.mapper().readTree(response.body()).path("page").path("matchingEntries").asInt();
            return count[0] >= atLeast;
        });
        return count[0];
    }
}
