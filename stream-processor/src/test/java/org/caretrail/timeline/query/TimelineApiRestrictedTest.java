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
import static org.caretrail.timeline.CareEventFixtures.registration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.timeline.TimelineDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RESTRICTED entries reach only a caller with RESTRICTED_ACCESS, in every read of the timeline API:
 * pages and their totals, history, as-of and the summary's counts and views. Expected values are
 * worked out from the story below, not read from the code.
 *
 * <p>The story: registered with A81001 (T0-10d); admitted T0, discharged T0+2d; an A&E attendance
 * T0+1d (RESTRICTED); an open referral T0+5d (RESTRICTED) and an open one T0+6d; a current
 * prescription T0+7d (RESTRICTED); a referral T0+8d that its source marked RESTRICTED in version 2
 * (T0+9d); a RESTRICTED referral T0+3d that was cancelled (withdrawn).
 */
class TimelineApiRestrictedTest {

    private static final String PATIENT = nhs(31);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Caller CLINICIAN = new Caller("dr-a", "ehr", Caller.Verification.OIDC_TOKEN,
            Set.of(Role.CLINICIAN));
    private static final Caller ALLOWED = new Caller("dr-b", "ehr", Caller.Verification.OIDC_TOKEN,
            Set.of(Role.CLINICIAN, Role.RESTRICTED_ACCESS));

    @TempDir
    Path stateDir;
    TimelineDriver t;
    HttpServer server;
    volatile Caller caller;
    final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        t = new TimelineDriver(stateDir);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        TimelineApi api = new TimelineApi(new TimelineQueries(t::reader), null, () -> true);
        server.createContext(TimelineApi.PATH_PREFIX, exchange -> {
            if (caller != null) {
                exchange.setAttribute(Caller.ATTRIBUTE, caller); // as the platform's access layer does
            }
            api.handle(exchange);
        });
        server.start();
        t.publish(registration(PATIENT, "A81001", T0.minus(Duration.ofDays(10)), "registered", "reg"),
                admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "admit"),
                restricted(attendance(PATIENT, "ed-1", T0.plus(Duration.ofDays(1)), "att")),
                discharge(PATIENT, "dis-1", "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(2)), "Home", "dis"),
                restricted(referral(PATIENT, "ref-gone", Action.NEW, 1, T0.plus(Duration.ofDays(3)), "open", "gone")),
                restricted(referral(PATIENT, "ref-gone", Action.CANCEL, 2, T0.plus(Duration.ofDays(3)), "open",
                        "gone-cancel")),
                restricted(referral(PATIENT, "ref-r", Action.NEW, 1, T0.plus(Duration.ofDays(5)), "open", "ref-r")),
                referral(PATIENT, "ref-n", Action.NEW, 1, T0.plus(Duration.ofDays(6)), "open", "ref-n"),
                restricted(prescription(PATIENT, "rx-1", Action.NEW, 1, T0.plus(Duration.ofDays(7)), null, "rx")),
                referral(PATIENT, "ref-later", Action.NEW, 1, T0.plus(Duration.ofDays(8)), "open", "later-v1"));
        // the source marks the referral RESTRICTED a day later (recorded T0+9d+1m)
        t.publish(restricted(withRecordedAt(referral(PATIENT, "ref-later", Action.UPDATE, 2,
                T0.plus(Duration.ofDays(8)), "open", "later-v2"), T0.plus(Duration.ofDays(9)))));
    }

    @AfterEach
    void stop() {
        server.stop(0);
        t.close();
    }

    private static <T extends SpecificRecord> T restricted(T event) {
        ((EventHeader) event.get(0)).setSensitivity(Sensitivity.RESTRICTED);
        return event;
    }

    private static <T extends SpecificRecord> T withRecordedAt(T event, java.time.Instant recordedAt) {
        ((EventHeader) event.get(0)).setRecordedAt(recordedAt.plusSeconds(60));
        return event;
    }

    private JsonNode get(Caller as, String query) throws Exception {
        caller = as;
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.getAddress().getPort() + "/api/v1/patients/" + PATIENT + "/timeline" + query)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static List<String> ids(JsonNode array) {
        List<String> ids = new ArrayList<>();
        array.forEach(e -> ids.add(e.get("eventId").asText()));
        return ids;
    }

    @Test
    void aClinicianWithoutRestrictedAccessSeesNeitherTheEntriesNorTraceOfThem() throws Exception {
        JsonNode page = get(CLINICIAN, "");
        assertThat(ids(page.get("entries"))).containsExactly(id("reg"), id("admit"), id("dis"), id("ref-n"));
        assertThat(page.get("page").get("matchingEntries").asLong()).isEqualTo(4);
        JsonNode summary = page.get("summary");
        assertThat(summary.get("currentEntries").asInt()).isEqualTo(4);
        assertThat(summary.get("totalEntries").asInt()).as("the withdrawn RESTRICTED referral is not counted").isEqualTo(4);
        assertThat(summary.get("withdrawnEntries").asInt()).isZero();
        assertThat(summary.get("attendances").asInt()).isZero();
        assertThat(ids(summary.get("openReferrals"))).containsExactly(id("ref-n"));
        assertThat(summary.get("currentPrescriptions")).isEmpty();
        assertThat(summary.get("providerKinds").toString()).doesNotContain("PHARMACY");

        JsonNode first = get(CLINICIAN, "?size=2");
        assertThat(ids(first.get("entries"))).containsExactly(id("reg"), id("admit"));
        assertThat(first.get("page").get("hasMore").asBoolean()).isTrue();
        JsonNode second = get(CLINICIAN, "?size=2&page=1");
        assertThat(ids(second.get("entries"))).containsExactly(id("dis"), id("ref-n"));
        assertThat(second.get("page").get("hasMore").asBoolean()).isFalse();

        assertThat(ids(get(CLINICIAN, "?types=referral").get("entries"))).containsExactly(id("ref-n"));
        assertThat(get(CLINICIAN, "?types=attendance,prescription").get("page").get("matchingEntries").asLong()).isZero();
        JsonNode history = get(CLINICIAN, "?history=true");
        assertThat(ids(history.get("entries"))).containsExactly(id("reg"), id("admit"), id("dis"), id("ref-n"));
        JsonNode window = get(CLINICIAN, "?from=" + T0.plus(Duration.ofDays(1)) + "&to=" + T0.plus(Duration.ofDays(7)));
        assertThat(ids(window.get("entries"))).containsExactly(id("dis"), id("ref-n"));
    }

    @Test
    void asOfHidesWhatIsRestrictedNowEvenIfItWasNotThen() throws Exception {
        String justAfterLater = "?asOf=" + T0.plus(Duration.ofDays(8)).plusSeconds(120);
        // then, ref-later was a NORMAL referral; its source has since marked it RESTRICTED
        assertThat(ids(get(ALLOWED, justAfterLater).get("entries"))).containsExactly(id("reg"), id("admit"),
                id("att"), id("dis"), id("ref-r"), id("ref-n"), id("rx"), id("later-v1"));
        JsonNode hidden = get(CLINICIAN, justAfterLater);
        assertThat(ids(hidden.get("entries"))).containsExactly(id("reg"), id("admit"), id("dis"), id("ref-n"));
        assertThat(ids(hidden.get("summary").get("openReferrals"))).containsExactly(id("ref-n"));
        assertThat(hidden.get("summary").get("currentEntries").asInt()).isEqualTo(4);

        JsonNode early = get(CLINICIAN, "?asOf=" + T0.plus(Duration.ofDays(1)).plusSeconds(120));
        assertThat(ids(early.get("entries"))).containsExactly(id("reg"), id("admit"));
    }

    @Test
    void restrictedAccessSeesEverythingAsStored() throws Exception {
        JsonNode page = get(ALLOWED, "");
        assertThat(ids(page.get("entries"))).containsExactly(id("reg"), id("admit"), id("att"), id("dis"),
                id("ref-r"), id("ref-n"), id("rx"), id("later-v2"));
        assertThat(page.get("summary").get("currentEntries").asInt()).isEqualTo(8);
        assertThat(page.get("summary").get("withdrawnEntries").asInt()).isEqualTo(1);
        assertThat(ids(page.get("summary").get("openReferrals")))
                .containsExactlyInAnyOrder(id("ref-r"), id("ref-n"), id("later-v2"));
        assertThat(ids(page.get("summary").get("currentPrescriptions"))).containsExactly(id("rx"));
        assertThat(ids(get(ALLOWED, "?history=true").get("entries"))).contains(id("gone-cancel"));
    }

    @Test
    void withoutACallerOnTheExchangeNothingRestrictedIsServed() throws Exception {
        JsonNode page = get(null, "");
        assertThat(ids(page.get("entries"))).containsExactly(id("reg"), id("admit"), id("dis"), id("ref-n"));
    }
}
