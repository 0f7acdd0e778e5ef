package org.caretrail.timeline.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.discharge;
import static org.caretrail.timeline.CareEventFixtures.id;
import static org.caretrail.timeline.CareEventFixtures.nhs;
import static org.caretrail.timeline.CareEventFixtures.prescription;
import static org.caretrail.timeline.CareEventFixtures.referral;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.caretrail.events.model.Action;
import org.caretrail.timeline.TimelineDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The timeline HTTP API over the topology's stores (TopologyTestDriver), served by the JDK HTTP server. */
class TimelineApiTest {

    private static final String PATIENT = nhs(11);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path stateDir;
    TimelineDriver t;
    HttpServer server;
    final AtomicBoolean running = new AtomicBoolean(true);
    final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        t = new TimelineDriver(stateDir);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(TimelineApi.PATH_PREFIX, new TimelineApi(new TimelineQueries(t::reader), null, running::get));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        t.close();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort()
                + pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> eventIds(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("entries").forEach(e -> ids.add(e.get("eventId").asText()));
        return ids;
    }

    @Test
    void returnsTheTimelineAsJson() throws Exception {
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "admit"),
                discharge(PATIENT, "dis-1", "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(2)), "Home", "dis"));
        HttpResponse<String> r = get("/api/v1/patients/" + PATIENT + "/timeline");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json; charset=utf-8");
        JsonNode page = JSON.readTree(r.body());
        assertThat(page.get("nhsNumber").asText()).isEqualTo(PATIENT);
        assertThat(eventIds(page)).containsExactly(id("admit"), id("dis"));
        assertThat(page.get("entries").get(0).get("occurredAt").asText()).isEqualTo(T0.toString());
        assertThat(page.get("summary").get("spells").get(0).get("dischargeDestination").asText()).isEqualTo("Home");
        assertThat(page.get("page").get("matchingEntries").asLong()).isEqualTo(2);
    }

    @Test
    void pagesAndFiltersTheHistory() throws Exception {
        for (int i = 0; i < 25; i++) {
            t.publish(attendance(PATIENT, "ae-" + i, T0.plus(Duration.ofHours(i)), "ae" + i));
        }
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0.plus(Duration.ofHours(3)), "AMU", "admit"),
                admission(PATIENT, "spell-1", Action.CANCEL, 2, T0.plus(Duration.ofHours(3)), "AMU", "cancel"));

        JsonNode second = JSON.readTree(get("/api/v1/patients/" + PATIENT + "/timeline?types=attendance&size=10&page=1")
                .body());
        assertThat(eventIds(second)).hasSize(10).first().isEqualTo(id("ae10"));
        assertThat(second.get("page").get("matchingEntries").asLong()).isEqualTo(25);
        assertThat(second.get("page").get("hasMore").asBoolean()).isTrue();

        JsonNode window = JSON.readTree(get("/api/v1/patients/" + PATIENT + "/timeline?from="
                + T0.plus(Duration.ofHours(2)) + "&to=" + T0.plus(Duration.ofHours(4))).body());
        assertThat(eventIds(window)).containsExactly(id("ae2"), id("ae3"), id("ae4"));

        JsonNode history = JSON.readTree(get("/api/v1/patients/" + PATIENT + "/timeline?history=true&types=ADMISSION")
                .body());
        assertThat(history.get("entries")).hasSize(1);
        assertThat(history.get("entries").get(0).get("status").asText()).isEqualTo("WITHDRAWN");
    }

    @Test
    void asOfShowsWhatWasKnownThen() throws Exception {
        // admitted (recorded T0+1m), discharged two days later (recorded T0+2d+1m), then the
        // discharge is corrected to a later time (version 2, recorded T0+3d+1m)
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "admit"),
                discharge(PATIENT, "dis-1", "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(2)), "Home", "dis"),
                discharge(PATIENT, "dis-1", "spell-1", Action.UPDATE, 2, T0.plus(Duration.ofDays(3)), "Care home",
                        "dis-corrected"));
        String base = "/api/v1/patients/" + PATIENT + "/timeline?asOf=";

        JsonNode onTheWard = JSON.readTree(get(base + T0.plus(Duration.ofDays(1))).body());
        assertThat(eventIds(onTheWard)).containsExactly(id("admit"));
        assertThat(onTheWard.get("summary").get("spells").get(0).get("dischargedAt").isNull()).isTrue();
        assertThat(onTheWard.get("filter").get("asOf").asText()).isEqualTo(T0.plus(Duration.ofDays(1)).toString());

        JsonNode afterFirstDischarge = JSON.readTree(get(base + T0.plus(Duration.ofDays(2)).plusSeconds(120)).body());
        assertThat(eventIds(afterFirstDischarge)).containsExactly(id("admit"), id("dis"));
        assertThat(afterFirstDischarge.get("summary").get("spells").get(0).get("dischargeDestination").asText())
                .isEqualTo("Home");

        JsonNode now = JSON.readTree(get(base + T0.plus(Duration.ofDays(20))).body());
        assertThat(eventIds(now)).containsExactly(id("admit"), id("dis-corrected"));
        JsonNode current = JSON.readTree(get("/api/v1/patients/" + PATIENT + "/timeline").body());
        assertThat(now.get("entries")).isEqualTo(current.get("entries"));

        JsonNode before = JSON.readTree(get(base + T0.minusSeconds(3600)).body());
        assertThat(before.get("entries")).isEmpty();
    }

    @Test
    void anInvalidNhsNumberIs400WithTheReason() throws Exception {
        HttpResponse<String> r = get("/api/v1/patients/9990000011/timeline");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("error").asText()).contains("Modulus 11");
        assertThat(get("/api/v1/patients/12ab/timeline").statusCode()).isEqualTo(400);
    }

    @Test
    void aBadParameterIs400() throws Exception {
        HttpResponse<String> r = get("/api/v1/patients/" + PATIENT + "/timeline?types=surgery");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("unknown event type 'surgery'");
        assertThat(get("/api/v1/patients/" + PATIENT + "/timeline?from=yesterday").statusCode()).isEqualTo(400);
    }

    @Test
    void anUnknownPatientIs404() throws Exception {
        HttpResponse<String> r = get("/api/v1/patients/" + nhs(12) + "/timeline");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("no timeline for NHS number");
    }

    @Test
    void aMergedAwayNhsNumberIs404NamingTheSurvivor() throws Exception {
        String old = nhs(13);
        t.publish(attendance(old, "ae-1", T0, "ae1"));
        t.publish(org.caretrail.events.model.PatientIdentity.newBuilder()
                .setHeader(org.caretrail.timeline.CareEventFixtures.header(PATIENT, "RJ1",
                        org.caretrail.events.model.ProviderKind.ACUTE, "merge-1", Action.NEW, 1, T0, "a40"))
                .setKind(org.caretrail.events.model.IdentityKind.MERGE).setNhsNumber(PATIENT)
                .setSupersededNhsNumber(old).build());
        HttpResponse<String> r = get("/api/v1/patients/" + old + "/timeline");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(new ObjectMapper().readTree(r.body()).get("mergedInto").asText()).isEqualTo(PATIENT);
        assertThat(eventIds(new ObjectMapper().readTree(get("/api/v1/patients/" + PATIENT + "/timeline").body())))
                .containsExactly(id("ae1"));
    }

    @Test
    void notRunningIs503() throws Exception {
        t.publish(attendance(PATIENT, "ae-1", T0, "ae1"));
        running.set(false);
        HttpResponse<String> r = get("/api/v1/patients/" + PATIENT + "/timeline");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
    }

    /**
     * The derived views are for the moment of asking: a prescription whose end has passed since the
     * patient's last event is no longer current, and an open referral says how long it has waited.
     */
    @Test
    void derivedViewsDescribeTheMomentOfAsking() throws Exception {
        Instant now = Instant.now();
        t.publish(prescription(PATIENT, "rx-short", Action.NEW, 1, T0, now.plus(Duration.ofDays(1)), "rx-short"),
                prescription(PATIENT, "rx-repeat", Action.NEW, 1, T0, null, "rx-repeat"),
                referral(PATIENT, "ref-1", Action.NEW, 1, T0, "OPEN", "ref"));
        Instant inThreeDays = now.plus(Duration.ofDays(3));
        HttpServer later = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        later.createContext(TimelineApi.PATH_PREFIX, new TimelineApi(
                new TimelineQueries(t::reader, Clock.fixed(inThreeDays, ZoneOffset.UTC)), null, running::get));
        later.start();
        try {
            JsonNode today = JSON.readTree(get("/api/v1/patients/" + PATIENT + "/timeline").body());
            assertThat(today.path("summary").path("currentPrescriptions").findValuesAsText("eventId"))
                    .containsExactlyInAnyOrder(id("rx-short"), id("rx-repeat"));
            JsonNode laterPage = JSON.readTree(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + later.getAddress().getPort() + "/api/v1/patients/" + PATIENT + "/timeline")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(laterPage.path("at").asText()).isEqualTo(inThreeDays.toString());
            assertThat(laterPage.path("summary").path("currentPrescriptions").findValuesAsText("eventId"))
                    .containsExactly(id("rx-repeat"));
            JsonNode referral = laterPage.path("summary").path("openReferrals").get(0);
            assertThat(referral.path("waitingDays").asLong())
                    .isEqualTo(Duration.between(T0, inThreeDays).toDays());
        } finally {
            later.stop(0);
        }
    }

    /** The new views (medication list, whole location, admission seen, who recorded a death) in JSON, now and as of. */
    @Test
    void theJsonAndTheAsOfPathCarryTheDerivedViews() throws Exception {
        var admit = admission(PATIENT, "V1", Action.NEW, 1, T0, "AMU", "admit");
        admit.setLocation(org.caretrail.timeline.CareEventFixtures.location("AMU", "2", "4", "RJ101"));
        var rx = prescription(PATIENT, "rx-1", Action.NEW, 1, T0.plus(Duration.ofHours(2)), null, "rx");
        rx.setMedicationCode(org.caretrail.timeline.CareEventFixtures.dmd("39108711000001109", "Metformin 500mg"));
        var died = org.caretrail.timeline.CareEventFixtures.death(PATIENT, T0.plus(Duration.ofDays(2)), "died");
        died.setRecordedBy("Dr A Khan");
        t.publish(admit, rx, died);

        JsonNode now = JSON.readTree(get("/api/v1/patients/" + PATIENT + "/timeline").body()).path("summary");
        JsonNode asOf = JSON.readTree(get("/api/v1/patients/" + PATIENT + "/timeline?asOf="
                + T0.plus(Duration.ofDays(30))).body()).path("summary");
        for (JsonNode summary : List.of(now, asOf)) {
            JsonNode spell = summary.path("spells").get(0);
            assertThat(spell.path("location").path("bed").asText()).isEqualTo("4");
            assertThat(spell.path("location").path("room").asText()).isEqualTo("2");
            assertThat(spell.path("admissionSeen").asBoolean()).isTrue();
            JsonNode medicine = summary.path("medications").get(0);
            assertThat(medicine.path("medication").asText()).isEqualTo("Metformin 500mg");
            assertThat(medicine.path("code").path("code").asText()).isEqualTo("39108711000001109");
            assertThat(medicine.path("lastIssuedBy").path("odsCode").asText()).isEqualTo("FA123");
            assertThat(summary.path("deathRecordedBy").asText()).isEqualTo("Dr A Khan, A81001");
            assertThat(summary.has("omitted")).isTrue();
        }
        JsonNode beforeDeath = JSON.readTree(get("/api/v1/patients/" + PATIENT + "/timeline?asOf="
                + T0.plus(Duration.ofDays(1))).body()).path("summary");
        assertThat(beforeDeath.path("deceased").asBoolean()).isFalse();
        assertThat(beforeDeath.path("medications")).hasSize(1);
    }
}
