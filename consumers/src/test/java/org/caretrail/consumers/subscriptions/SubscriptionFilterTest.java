package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.consumers.subscriptions.Changes.change;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.junit.jupiter.api.Test;

class SubscriptionFilterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final SubscriptionOwner ADMIN = new SubscriptionOwner("hub", "hub-client",
            java.util.Set.of(org.caretrail.events.access.Role.SUBSCRIBER_ADMIN));
    private static final SubscriptionOwner RESTRICTED_ADMIN = new SubscriptionOwner("hub", "hub-client",
            java.util.Set.of(org.caretrail.events.access.Role.SUBSCRIBER_ADMIN,
                    org.caretrail.events.access.Role.RESTRICTED_ACCESS));

    private static Subscription subscription(String json) throws Exception {
        return subscription(json, RESTRICTED_ADMIN);
    }

    private static Subscription subscription(String json, SubscriptionOwner owner) throws Exception {
        return SubscriptionRequest.fromJson(JSON.readTree(json))
                .toSubscription("sub-1", "whsec-0f9e8d7c6b5a", Instant.parse("2026-11-22T10:00:00Z"), owner);
    }

    @Test
    void noFiltersMatchesEveryNormalChange() throws Exception {
        Subscription all = subscription("{\"callbackUrl\":\"http://localhost:9/hook\"}");
        assertThat(SubscriptionFilter.matches(all, change("c1", EventType.REFERRAL, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.NORMAL))).isTrue();
    }

    @Test
    void restrictedEntriesOnlyGoToAllowedSubscriptions() throws Exception {
        Subscription plain = subscription("{\"callbackUrl\":\"http://localhost:9/hook\"}");
        Subscription allowed = subscription("{\"callbackUrl\":\"http://localhost:9/hook\",\"allowRestricted\":true}");
        Subscription askedWithoutRole = subscription(
                "{\"callbackUrl\":\"http://localhost:9/hook\",\"allowRestricted\":true}", ADMIN);
        Subscription askedWithoutOwner = subscription(
                "{\"callbackUrl\":\"http://localhost:9/hook\",\"allowRestricted\":true}", null);
        var restricted = change("c1", EventType.ATTENDANCE, ChangeKind.ADDED, "RJ1", "A81001", Sensitivity.RESTRICTED);
        assertThat(SubscriptionFilter.matches(plain, restricted)).isFalse();
        assertThat(SubscriptionFilter.matches(allowed, restricted)).isTrue();
        assertThat(SubscriptionFilter.matches(askedWithoutRole, restricted)).isFalse();
        assertThat(SubscriptionFilter.matches(askedWithoutOwner, restricted)).isFalse();
        assertThat(askedWithoutRole.toPublicJson().get("allowRestricted").asBoolean()).isFalse();
    }

    @Test
    void eventTypesAcceptJsonAndEnumNames() throws Exception {
        Subscription s = subscription(
                "{\"callbackUrl\":\"http://localhost:9/hook\",\"eventTypes\":[\"admission\",\"GP_REGISTRATION\","
                        + "\"ambulance-conveyance\"]}");
        assertThat(s.eventTypes()).containsExactlyInAnyOrder(EventType.ADMISSION, EventType.GP_REGISTRATION,
                EventType.AMBULANCE_CONVEYANCE);
        assertThat(SubscriptionFilter.matches(s, change("c1", EventType.ADMISSION, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.NORMAL))).isTrue();
        assertThat(SubscriptionFilter.matches(s, change("c2", EventType.DISCHARGE, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.NORMAL))).isFalse();
    }

    @Test
    void practiceAndOrganisationFiltersMustBothHold() throws Exception {
        Subscription s = subscription("{\"callbackUrl\":\"https://gp.example/hook\","
                + "\"filters\":{\"registeredPractice\":\"A81001\",\"sourceOrganisation\":\"RJ1\"}}");
        assertThat(SubscriptionFilter.matches(s, change("c1", EventType.ADMISSION, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL))).isTrue();
        assertThat(SubscriptionFilter.matches(s, change("c2", EventType.ADMISSION, ChangeKind.ADDED, "RJ1", "B82002",
                Sensitivity.NORMAL))).isFalse();
        assertThat(SubscriptionFilter.matches(s, change("c3", EventType.ADMISSION, ChangeKind.ADDED, "RXH", "A81001",
                Sensitivity.NORMAL))).isFalse();
        assertThat(SubscriptionFilter.matches(s, change("c4", EventType.ADMISSION, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.NORMAL))).isFalse();
    }

    @Test
    void gpNotificationsAreFirstAdmissionsDischargesAndDeathsWithAKnownPractice() throws Exception {
        Subscription gp = subscription("{\"callbackUrl\":\"https://gp.example/hook\",\"gpNotifications\":true,"
                + "\"filters\":{\"registeredPractice\":\"A81001\"}}");
        assertThat(SubscriptionFilter.matches(gp, change("c1", EventType.ADMISSION, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL))).isTrue();
        assertThat(SubscriptionFilter.matches(gp, change("c2", EventType.DISCHARGE, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL))).isTrue();
        assertThat(SubscriptionFilter.matches(gp, change("c3", EventType.DEATH, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL))).isTrue();
        assertThat(SubscriptionFilter.matches(gp, change("c4", EventType.ADMISSION, ChangeKind.UPDATED, "RJ1", "A81001",
                Sensitivity.NORMAL))).isFalse();
        assertThat(SubscriptionFilter.matches(gp, change("c5", EventType.REFERRAL, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL))).isFalse();
        assertThat(GpNotification.of(change("c6", EventType.DEATH, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL)).orElseThrow().reason()).isEqualTo(GpNotification.Reason.DIED);
        assertThat(GpNotification.of(change("c7", EventType.DEATH, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.NORMAL))).isEmpty();
    }

    @Test
    void invalidRequestsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> subscription("{\"eventTypes\":[]}")).hasMessageContaining("callbackUrl is required");
        assertThatThrownBy(() -> subscription("{\"callbackUrl\":\"ftp://x/y\"}")).hasMessageContaining("http or https");
        assertThatThrownBy(() -> subscription("{\"callbackUrl\":\"http://x/y\",\"eventTypes\":[\"lunch\"]}"))
                .hasMessageContaining("unknown event type 'lunch'");
        assertThatThrownBy(() -> subscription("{\"callbackUrl\":\"http://x/y\",\"filters\":{\"registeredPractice\":\"a\"}}"))
                .hasMessageContaining("filters.registeredPractice");
        assertThatThrownBy(() -> subscription("{\"callbackUrl\":\"http://x/y\",\"colour\":\"red\"}"))
                .hasMessageContaining("unknown field 'colour'");
        assertThatThrownBy(() -> subscription("{\"callbackUrl\":\"http://x/y\",\"startFrom\":\"yesterday\"}"))
                .hasMessageContaining("startFrom 'yesterday'");
    }

    @Test
    void storedFormRoundTripsWithSecretAndPublicFormHidesIt() throws Exception {
        Subscription s = subscription("{\"callbackUrl\":\"https://gp.example/hook\",\"eventTypes\":[\"death\"],"
                + "\"filters\":{\"registeredPractice\":\"A81001\"},\"allowRestricted\":true,\"startFrom\":\"earliest\","
                + "\"payload\":\"fhir-r4\"}");
        SecretKeyRing keys = SecretKeyRing.generate();
        assertThat(Subscription.fromStoredJson(s.toStoredJson(keys), keys)).isEqualTo(s);
        assertThat(s.payload()).isEqualTo(PayloadFormat.FHIR_R4);
        assertThat(s.toPublicJson().has("secret")).isFalse();
        assertThat(s.toStoredJson(keys).toString()).doesNotContain(s.secret());
        assertThat(s.startFrom().isEarliest()).isTrue();
        Subscription fromNow = subscription("{\"callbackUrl\":\"https://gp.example/hook\"}");
        assertThat(fromNow.startFrom().from()).isEqualTo(Instant.parse("2026-11-22T10:00:00Z"));
    }

    @Test
    void secretsCallbackCredentialsAndTheCallbacksQueryAreSealedAtRestAndRedactedWhenShown() throws Exception {
        Subscription s = subscription("{\"callbackUrl\":\"https://gp.example/hook?token=QUERY-TOKEN\","
                + "\"callbackAuthorization\":\"Bearer CALLBACK-TOKEN\"}");
        SecretKeyRing keys = SecretKeyRing.generate();
        String stored = s.toStoredJson(keys).toString();
        assertThat(stored).doesNotContain(s.secret()).doesNotContain("QUERY-TOKEN").doesNotContain("CALLBACK-TOKEN")
                .contains("\"callbackUrl\":\"https://gp.example/hook?[redacted]\"");
        Subscription read = Subscription.fromStoredJson(JSON.readTree(stored), keys);
        assertThat(read).isEqualTo(s);
        assertThat(read.callbackUrl().toString()).isEqualTo("https://gp.example/hook?token=QUERY-TOKEN");
        String shown = s.toPublicJson().toString();
        assertThat(shown).doesNotContain("QUERY-TOKEN").doesNotContain("CALLBACK-TOKEN")
                .contains("\"callbackAuthorization\":\"[redacted]\"").contains("\"owner\":{\"subject\":\"hub\"");

        // another key ring cannot open them; a record moved to another id does not open either
        assertThatThrownBy(() -> Subscription.fromStoredJson(JSON.readTree(stored), SecretKeyRing.generate()))
                .hasMessageContaining("not in the key ring");
        var moved = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(stored);
        moved.put("id", "sub-2");
        assertThatThrownBy(() -> Subscription.fromStoredJson(moved, keys)).hasMessageContaining("does not open");
    }

    @Test
    void aRecordStoredInClearBeforeSealingIsReadAndMarkedForResealing() throws Exception {
        var legacy = JSON.readTree("{\"id\":\"old-1\",\"callbackUrl\":\"https://gp.example/hook?k=v\","
                + "\"eventTypes\":[],\"filters\":{},\"gpNotifications\":false,\"allowRestricted\":true,"
                + "\"startFrom\":\"earliest\",\"payload\":\"caretrail-json\",\"createdAt\":\"2026-11-01T00:00:00Z\","
                + "\"secret\":\"clear-secret\"}");
        SecretKeyRing keys = SecretKeyRing.generate();
        Subscription read = Subscription.fromStoredJson(legacy, keys);
        assertThat(read.secret()).isEqualTo("clear-secret");
        assertThat(read.callbackUrl().toString()).isEqualTo("https://gp.example/hook?k=v");
        assertThat(read.owner()).isNull();
        assertThat(read.mayReceiveRestricted()).as("a flag it gave itself").isFalse();
        assertThat(Subscription.needsReseal(legacy, keys)).isTrue();
        assertThat(Subscription.needsReseal(read.toStoredJson(keys), keys)).isFalse();
    }

    @Test
    void callbackCredentialsMustBeOnePrintableLine() {
        assertThatThrownBy(() -> subscription("{\"callbackUrl\":\"https://gp.example/h\","
                + "\"callbackAuthorization\":\"Bearer x\\r\\nX-Injected: 1\"}"))
                .hasMessageContaining("printable ASCII on one line");
        assertThatThrownBy(() -> subscription("{\"callbackUrl\":\"https://gp.example/h\",\"id\":\"mine\"}"))
                .hasMessageContaining("unknown field 'id'");
    }
}
