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

    private static Subscription subscription(String json) throws Exception {
        return SubscriptionRequest.fromJson(JSON.readTree(json))
                .toSubscription("sub-1", "secret", Instant.parse("2026-11-22T10:00:00Z"));
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
        var restricted = change("c1", EventType.ATTENDANCE, ChangeKind.ADDED, "RJ1", "A81001", Sensitivity.RESTRICTED);
        assertThat(SubscriptionFilter.matches(plain, restricted)).isFalse();
        assertThat(SubscriptionFilter.matches(allowed, restricted)).isTrue();
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
        assertThat(Subscription.fromStoredJson(s.toStoredJson())).isEqualTo(s);
        assertThat(s.payload()).isEqualTo(PayloadFormat.FHIR_R4);
        assertThat(s.toPublicJson().has("secret")).isFalse();
        assertThat(s.startFrom().isEarliest()).isTrue();
        Subscription fromNow = subscription("{\"callbackUrl\":\"https://gp.example/hook\"}");
        assertThat(fromNow.startFrom().from()).isEqualTo(Instant.parse("2026-11-22T10:00:00Z"));
    }
}
