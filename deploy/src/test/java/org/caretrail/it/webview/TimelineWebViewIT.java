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
import org.caretrail.events.access.Role;
import org.caretrail.it.consumers.TestGuard;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The timeline web view in a real browser (headless Chromium), on the real broker, registry and
 * stream processor: what a clinician sees is the patient's joined-up timeline, its derived views,
 * paging, filters, history and "as known at", and errors said plainly. Provider text is shown as
 * text, never run as markup.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimelineWebViewIT {

    private static final String EXAMPLES = "../examples/care-events.jsonl";
    private static final String HOSTILE = "<img src=x onerror=\"document.body.dataset.pwned='yes'\">Cardiology";
    private static final int PRESCRIPTIONS = 60;
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private Chromium browser;
    private EmbeddedKafkaBroker broker;
    private TimelineApplication app;
    private PlatformHttpServer http;
    private String base;
    private String other;
    private int examplesEntries;

    /**
     * One real broker, registry and stream processor for every test here, fed the worked example, a
     * patient in hospital with many prescriptions, and issue 8's patients as the HL7 adapter
     * publishes them. The API answers a clinician (the stand-in for the platform's guard); the web
     * view shows what it answers.
     */
    @BeforeAll
    void startThePlatformAndFeedIt() throws Exception {
        Optional<Chromium> found = Chromium.find();
        if (System.getenv("CARETRAIL_REQUIRE_BROWSER") == null) {
            Assumptions.assumeTrue(found.isPresent(), "no Chromium here (.ci/run installs Debian's chromium)");
        }
        browser = found.orElseThrow(() -> new AssertionError(
                "CARETRAIL_REQUIRE_BROWSER is set but no chromium was found"));
        other = nhs("999000123");
        broker = RealInfrastructure.newBroker();
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        TimelineSettings settings = TimelineSettings.defaults()
                .with(TimelineSettings.APPLICATION_ID, "it-webview-" + System.nanoTime())
                .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .with(TimelineSettings.STATE_DIR, Files.createTempDirectory(
                        Files.createDirectories(Path.of("target/it-data")), "webview-state-"));
        app = new TimelineApplication(settings, topics);
        app.start();
        assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
        http = new PlatformHttpServer("127.0.0.1", 0, () -> "");
        http.mount(TimelineApi.PATH_PREFIX, TestGuard.as(TestGuard.caller("dr-synthetic", Role.CLINICIAN), app.api()))
                .mountPublic(TimelineWebView.PATH, new TimelineWebView()).start();
        base = "http://127.0.0.1:" + http.port();

        List<SpecificRecord> events = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(EXAMPLES))) {
            events.add(CareEventJson.parseEvent(line).event());
        }
        events.addAll(inHospitalPatient(other));
        events.addAll(AdtPatients.all());
        try (CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(), topics, "it-webview")) {
            List<CompletableFuture<?>> sent = new ArrayList<>(publisher.publishAll(events));
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
        examplesEntries = awaitEntries(base, "9912003888", 11, false);
        awaitEntries(base, other, PRESCRIPTIONS + 2, false);
        for (Object[] expected : AdtPatients.expectedEntries()) {
            awaitEntries(base, (String) expected[0], (Integer) expected[1], true);
        }
    }

    @AfterAll
    void stop() {
        if (http != null) {
            http.close();
        }
        if (app != null) {
            app.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** A page rendered in the browser, and its picture under target/screenshots to look at. */
    private Document page(String name, String url) throws Exception {
        browser.screenshot(url, SCREENSHOTS.resolve(name + ".png"));
        return loaded(browser, url);
    }

    @Test
    void aClinicianSeesTheJoinedUpTimelineInARealBrowser() throws Exception {
        // the worked example: one ordered timeline across provider kinds, with the derived facts
        Document page = page("worked-example", base + "/?nhs=9912003888");
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
        assertThat(first.selectFirst("[data-fact=in-hospital]").text()).contains("Ward 7B, Riverside General");
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

    @Test
    void aPatientWhoDiedIsShownDeceasedAndWhen() throws Exception {
        Document page = page("died", base + "/?nhs=" + AdtPatients.DIED);
        Element deceased = page.selectFirst("[data-fact=deceased]");
        assertThat(deceased).as("the deceased alert").isNotNull();
        assertThat(deceased.selectFirst("time").attr("datetime")).isEqualTo("2026-11-14T03:20:00Z");
        assertThat(page.select("[data-fact=in-hospital]")).isEmpty();
        assertThat(page.select("#entries tbody tr[data-type]").eachAttr("data-type"))
                .containsExactly("ADMISSION", "DEATH", "DISCHARGE");
    }

    @Test
    void whoRecordedTheDeathIsShown() throws Exception {
        Document page = page("died", base + "/?nhs=" + AdtPatients.DIED);
        assertThat(page.selectFirst("[data-fact=death-recorded-by]").text()).contains("Dr C Synthetic");
    }

    @Test
    void aCancelledAdmissionIsWithdrawnNotInHospitalNow() throws Exception {
        Document page = page("cancelled-admission", base + "/?nhs=" + AdtPatients.CANCELLED);
        assertThat(page.select("[data-fact=in-hospital]")).isEmpty();
        assertThat(page.select("[data-view=spells] tr[data-open=true]")).isEmpty();
        assertThat(page.select("#entries tbody tr[data-type]")).isEmpty();
        Element withdrawn = page.selectFirst("[data-fact=entries] a[data-show=withdrawn]");
        assertThat(withdrawn.text()).isEqualTo("1 withdrawn (cancelled or entered in error)");

        Document history = page("cancelled-admission-history", base + withdrawn.attr("href"));
        Element row = history.selectFirst("#entries tbody tr[data-type=ADMISSION]");
        assertThat(row.attr("data-status")).isEqualTo("WITHDRAWN");
        assertThat(row.select("td").last().text()).isEqualTo("cancelled (withdrawn)");
        assertThat(history.select("[data-fact=in-hospital]")).isEmpty();
    }

    @Test
    void aMoveFromTheEmergencyDepartmentToAWardShowsAsAMove() throws Exception {
        Document page = page("ed-to-ward", base + "/?nhs=" + AdtPatients.ED_TO_WARD);
        assertThat(page.select("#entries tbody tr[data-type]").eachAttr("data-type"))
                .containsExactly("ATTENDANCE", "TRANSFER");
        Element move = page.selectFirst("#entries tbody tr[data-type=TRANSFER] [data-move]");
        assertThat(move.attr("data-move")).isEqualTo("CHANGED_TO_INPATIENT");
        assertThat(move.text()).isEqualTo("Became an inpatient");
    }

    @Test
    void afterTheMoveThePatientIsInHospitalOnTheirWardBayAndBed() throws Exception {
        Document page = page("ed-to-ward", base + "/?nhs=" + AdtPatients.ED_TO_WARD);
        assertThat(page.selectFirst("[data-fact=in-hospital] [data-fact=location]").text())
                .isEqualTo("Ward 7, Bay 2, Bed 4, RX1-GEN");
    }

    @Test
    void aMergeByHospitalNumberSendsTheOldNumberToTheSurvivor() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base
                    + TimelineApi.PATH_PREFIX + AdtPatients.MERGED_AWAY + "/timeline")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 404 && response.body().contains(AdtPatients.SURVIVOR);
        });
        Document old = browser.render(base + "/?nhs=" + AdtPatients.MERGED_AWAY);
        browser.screenshot(base + "/?nhs=" + AdtPatients.MERGED_AWAY, SCREENSHOTS.resolve("merged-away.png"));
        assertThat(old.body().attr("data-state")).isEqualTo("merged");
        Element link = old.selectFirst("#status a[data-merged-into]");
        assertThat(link.attr("data-merged-into")).isEqualTo(AdtPatients.SURVIVOR);

        Document survivor = page("merge-survivor", base + link.attr("href"));
        Element moved = survivor.selectFirst("#entries tbody tr[data-type=ADMISSION] .note.merged");
        assertThat(moved.attr("data-origin")).isEqualTo(AdtPatients.MERGED_AWAY);
    }

    @Test
    void theMedicationListHasOneLinePerMedicineWithItsLastIssueAndWhoIssuedIt() throws Exception {
        Document page = page("medicines", base + "/?nhs=" + AdtPatients.MEDICINES);
        Elements lines = page.select("[data-view=medications] li");
        assertThat(lines).hasSize(2);
        Element metformin = page.selectFirst("[data-view=medications] li:has([data-medicine=Metformin 500mg tablets])");
        assertThat(metformin.selectFirst("[data-last-issued-by]").attr("data-last-issued-by")).isEqualTo("FA123");
        assertThat(metformin.text()).contains("Synthetic Pharmacy (Pharmacy)").contains("16 Oct 2026");
    }

    @Test
    void aSpellFirstSeenMidStayIsInHospitalWithItsWholeLocation() throws Exception {
        Document page = page("mid-stay", base + "/?nhs=" + AdtPatients.MID_STAY);
        Element inHospital = page.selectFirst("[data-fact=in-hospital]");
        assertThat(inHospital.selectFirst("[data-fact=location]").text()).isEqualTo("Ward 4, Bay 1, Bed 6, RX1-GEN");
        assertThat(inHospital.text()).contains("the admission itself has not arrived");
        assertThat(page.select("[data-view=spells] tr[data-admission-seen=false]")).hasSize(1);
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

    /** Waits until the API has at least {@code atLeast} entries (withdrawn ones too with history) for the patient. */
    private static int awaitEntries(String base, String nhs, int atLeast, boolean history) {
        HttpClient client = HttpClient.newHttpClient();
        int[] count = new int[1];
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create(base + TimelineApi.PATH_PREFIX + nhs + "/timeline?size=1&history=" + history)).build(),
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
