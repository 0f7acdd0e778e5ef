package org.caretrail.it.webview;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.caretrail.consumers.webview.TimelineWebView;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.MedicationLine;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.query.TimelinePage;
import org.caretrail.timeline.query.TimelineQuery;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * How the web view shows contract v2's summary, in real headless Chromium: the API's own JSON
 * ({@link TimelinePage#toJson()}) of summaries built as the timeline rules of issue 8 describe them
 * (a medication list, whole locations, a spell first seen mid-stay, who recorded a death, entries
 * moved by a merge), and the API's merged-away and forbidden answers. It checks the page against
 * the contract while the rules that compute these summaries land; {@link TimelineWebViewIT} checks
 * the same patients end to end on the real broker.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimelineWebViewRenderingIT {

    private static final String PATIENT = AdtPatients.nhs("999000301");
    private static final String MERGED_AWAY = AdtPatients.nhs("999000311");
    private static final String FORBIDDEN = AdtPatients.nhs("999000321");
    private static final Instant AT = Instant.parse("2026-11-30T12:00:00Z");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private Chromium browser;
    private HttpServer server;
    private String base;

    @BeforeAll
    void start() throws Exception {
        Optional<Chromium> found = Chromium.find();
        if (System.getenv("CARETRAIL_REQUIRE_BROWSER") == null) {
            Assumptions.assumeTrue(found.isPresent(), "no Chromium here (.ci/run installs Debian's chromium)");
        }
        browser = found.orElseThrow(() -> new AssertionError(
                "CARETRAIL_REQUIRE_BROWSER is set but no chromium was found"));
        Map<String, String> answers = Map.of(
                PATIENT, page().toJson().toString(),
                MERGED_AWAY, "{\"status\":404,\"error\":\"NHS number " + MERGED_AWAY + " was merged into " + PATIENT
                        + ": its timeline is there\",\"mergedInto\":\"" + PATIENT + "\"}",
                FORBIDDEN, "{\"status\":403,\"error\":\"reading timelines needs the CLINICIAN role\"}");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/v1/patients/", exchange -> {
            String nhs = exchange.getRequestURI().getPath().split("/")[4];
            String body = answers.getOrDefault(nhs, "{\"status\":404,\"error\":\"no timeline\"}");
            int status = nhs.equals(PATIENT) ? 200 : nhs.equals(FORBIDDEN) ? 403 : 404;
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.createContext(TimelineWebView.PATH, new TimelineWebView());
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static Source source(String ods, String name, ProviderKind kind) {
        return Source.newBuilder().setOdsCode(ods).setName(name).setKind(kind).setSystem("test").build();
    }

    private static TimelineEntry entry(String id, EventType type, Instant at, Source source, String summary,
            Map<String, String> details, String origin) {
        return TimelineEntry.newBuilder().setEntryId(type + "|" + source.getOdsCode() + "|" + id).setEventId(id)
                .setType(type).setAction(Action.NEW).setSubjectId(id).setVersion(1).setOccurredAt(at)
                .setRecordedAt(at).setSource(source).setSensitivity(Sensitivity.NORMAL).setStatus(EntryStatus.CURRENT)
                .setSummary(summary).setDetails(details).setLocalId(null).setOriginNhsNumber(origin).build();
    }

    /** A patient in hospital (seen first mid-stay, on a ward, bay and bed) who has since died, with a medication list. */
    private static TimelinePage page() {
        Source trust = source("RX1", "Riverside University Hospitals NHS Trust", ProviderKind.ACUTE);
        Source pharmacy = source("FA123", "Synthetic Pharmacy", ProviderKind.PHARMACY);
        Source surgery = source("A81001", "The Synthetic Street Surgery", ProviderKind.GP);
        Instant firstSeen = Instant.parse("2026-11-25T14:00:00Z");
        List<TimelineEntry> entries = List.of(
                entry("ADM-OLD", EventType.ADMISSION, Instant.parse("2026-11-02T11:00:00Z"), trust,
                        "Admitted to ward Ward 2 - Riverside University Hospitals NHS Trust", Map.of(), MERGED_AWAY),
                entry("T-ED", EventType.TRANSFER, Instant.parse("2026-11-20T09:15:00Z"), trust,
                        "Transferred from Emergency Department to Ward 7 - Riverside University Hospitals NHS Trust",
                        Map.of("reason", "CHANGED_TO_INPATIENT"), null),
                entry("T1", EventType.TRANSFER, firstSeen, trust,
                        "Transferred from Ward 3 to Ward 4 - Riverside University Hospitals NHS Trust", Map.of(), null),
                entry("D1", EventType.DEATH, Instant.parse("2026-11-29T03:20:00Z"), trust,
                        "Died at Riverside General - Riverside University Hospitals NHS Trust", Map.of(), null));
        HospitalSpell spell = HospitalSpell.newBuilder().setSpellId("RX1-V-2601").setOdsCode("RX1").setSite("RX1-GEN")
                .setAdmittedAt(firstSeen).setDischargedAt(null).setCurrentWard("Ward 4").setDischargeDestination(null)
                .setTransfers(1).setLocation(Location.newBuilder().setPointOfCare("Ward 4").setRoom("Bay 1")
                        .setBed("Bed 6").setSite("RX1-GEN").build())
                .setAdmissionSeen(false).setPatientClass("INPATIENT").build();
        MedicationLine metformin = MedicationLine.newBuilder().setMedication("Metformin 500mg tablets")
                .setCode(Coding.newBuilder().setSystem("https://dmd.nhs.uk").setCode("325278002").setDisplay(null)
                        .build())
                .setDose("One tablet twice a day").setLastIssuedAt(Instant.parse("2026-10-16T11:30:00Z"))
                .setLastIssuedBy(pharmacy).setLastEntryId("PRESCRIPTION|FA123|FA123-DISP-88").setIssues(5)
                .setRepeat(true).build();
        MedicationLine atorvastatin = MedicationLine.newBuilder().setMedication("Atorvastatin 20mg tablets")
                .setCode(null).setDose(null).setLastIssuedAt(Instant.parse("2026-10-01T09:05:00Z"))
                .setLastIssuedBy(surgery).setLastEntryId("PRESCRIPTION|A81001|EPS-GP-ATOR-1").setIssues(1)
                .setRepeat(false).build();
        TimelineSummary summary = TimelineSummary.newBuilder().setTotalEntries(10).setCurrentEntries(4)
                .setWithdrawnEntries(0).setFirstOccurredAt(entries.get(0).getOccurredAt())
                .setLastOccurredAt(entries.get(3).getOccurredAt())
                .setProviderKinds(List.of(ProviderKind.ACUTE, ProviderKind.GP, ProviderKind.PHARMACY))
                .setSpells(List.of(spell)).setAttendances(0).setOpenReferrals(List.of()).setCurrentPrescriptions(List.of())
                .setRegisteredPracticeOdsCode("A81001").setRegisteredPracticeName("The Synthetic Street Surgery")
                .setDeceased(true).setDiedAt(Instant.parse("2026-11-29T03:20:00Z"))
                .setActivityAfterDeath(List.of()).setMedications(List.of(metformin, atorvastatin))
                .setDeathRecordedBy("Riverside University Hospitals NHS Trust (Dr C Synthetic)")
                .setOmitted(Map.of("medications", 3)).build();
        return new TimelinePage(new TimelineQuery(PATIENT, null, null, Set.of(), 0, 50, false), summary, entries, 4, AT);
    }

    @Test
    void theContractsSummaryIsShownAsAClinicianNeedsIt() throws Exception {
        String url = base + "/?nhs=" + PATIENT;
        browser.screenshot(url, SCREENSHOTS.resolve("rendering-summary.png"));
        Document page = browser.render(url);
        assertThat(page.body().attr("data-state")).as(page.select("#status").text()).isEqualTo("loaded");

        // death: deceased, when, recorded by
        Element deceased = page.selectFirst("[data-fact=deceased]");
        assertThat(deceased.selectFirst("time").attr("datetime")).isEqualTo("2026-11-29T03:20:00Z");
        assertThat(deceased.selectFirst("[data-fact=death-recorded-by]").text())
                .isEqualTo("Riverside University Hospitals NHS Trust (Dr C Synthetic)");

        // a spell first seen mid-stay, where the patient is: ward, bay, bed, site
        Element inHospital = page.selectFirst("[data-fact=in-hospital]");
        assertThat(inHospital.selectFirst("[data-fact=location]").text()).isEqualTo("Ward 4, Bay 1, Bed 6, RX1-GEN");
        assertThat(inHospital.text()).startsWith("Last known in hospital (the spell was not closed)")
                .contains("first seen").contains("the admission itself has not arrived");
        Element spell = page.selectFirst("[data-view=spells] tr[data-admission-seen=false]");
        assertThat(spell.text()).contains("first seen").contains("admission not received").contains("inpatient")
                .contains("Ward 4, Bay 1, Bed 6, RX1-GEN").contains("at least 4 days");

        // one line per medicine: its last issue and who issued it; what the summary left out is said
        Elements medicines = page.select("[data-view=medications] li");
        assertThat(medicines).hasSize(2);
        assertThat(medicines.get(0).selectFirst("[data-medicine]").text()).isEqualTo("Metformin 500mg tablets");
        assertThat(medicines.get(0).text()).contains("One tablet twice a day").contains("(repeat)")
                .contains("last issued 16 Oct 2026").contains("by Synthetic Pharmacy (Pharmacy), 5 issues")
                .contains("325278002");
        assertThat(medicines.get(1).text()).contains("Atorvastatin 20mg tablets")
                .contains("by The Synthetic Street Surgery (GP)").doesNotContain("issues");
        assertThat(page.selectFirst("[data-view=medications] [data-omitted]").text()).isEqualTo("and 3 more, not shown");
        assertThat(page.select("[data-view=prescriptions]")).isEmpty();

        // an ED to inpatient move, and an entry a merge brought here
        assertThat(page.selectFirst("#entries tr[data-type=TRANSFER] [data-move]").text()).isEqualTo("Became an inpatient");
        Element merged = page.selectFirst("#entries tr[data-type=ADMISSION] .note.merged");
        assertThat(merged.attr("data-origin")).isEqualTo(MERGED_AWAY);
        assertThat(merged.text()).contains("since merged into this one");
    }

    @Test
    void aMergedAwayNumberPointsToTheSurvivor() throws Exception {
        String url = base + "/?nhs=" + MERGED_AWAY;
        browser.screenshot(url, SCREENSHOTS.resolve("rendering-merged-away.png"));
        Document page = browser.render(url);
        assertThat(page.body().attr("data-state")).isEqualTo("merged");
        assertThat(page.select("#status").text()).contains("has been merged into");
        Element link = page.selectFirst("#status a[data-merged-into]");
        assertThat(link.attr("data-merged-into")).isEqualTo(PATIENT);
        assertThat(link.attr("href")).isEqualTo("/?nhs=" + PATIENT);
        assertThat(page.select("#patient").hasAttr("hidden")).isTrue();
    }

    @Test
    void aCallerTheApiRefusesSeesWhyAndNothingElse() throws Exception {
        Document page = browser.render(base + "/?nhs=" + FORBIDDEN);
        assertThat(page.body().attr("data-state")).isEqualTo("forbidden");
        assertThat(page.select("#status").text()).contains("may not read this timeline")
                .contains("needs the CLINICIAN role");
        assertThat(page.select("#patient").hasAttr("hidden")).isTrue();
        assertThat(page.select("#entries tbody tr")).isEmpty();
    }
}
