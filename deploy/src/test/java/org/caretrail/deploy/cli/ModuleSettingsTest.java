package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.deploy.http.HttpLimits;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.settings.Settings;
import org.caretrail.producers.fhir.FhirSettings;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.timeline.TimelineSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One settings file reaches every module's settings record, each built from the same resolved view. */
class ModuleSettingsTest {

    private static Settings file(String... pairs) {
        Properties p = new Properties();
        for (int i = 0; i < pairs.length; i += 2) {
            p.setProperty(pairs[i], pairs[i + 1]);
        }
        return Settings.resolve(SettingsCatalog.ALL, Map.of(), Map.of(), p, "caretrail.properties");
    }

    @Test
    void each_module_builds_its_record_from_the_file(@TempDir Path dir) throws Exception {
        Settings s = file(
                "timeline.cache.bytes", "1048576", "timeline.rocksdb.memory", "33554432",
                "hl7.max-connections-per-peer", "4", "hl7.zone", "UTC", "hl7.provider-kind", "MENTAL_HEALTH",
                "fhir.default-ods-code", "RRV", "fhir.max-bundle-entries", "20", "fhir.publish-timeout", "PT5S",
                "delivery.park-after", "PT6H", "delivery.backoff-initial", "PT2S", "delivery.backoff-max", "PT1M",
                "http.max-connections", "64", "http.max-threads", "16");
        TimelineSettings timeline = TimelineSettings.from(s);
        assertThat(timeline.get(TimelineSettings.CACHE_BYTES)).isEqualTo(1_048_576L);
        assertThat(timeline.toStreamsProperties().get("statestore.cache.max.bytes")).isEqualTo(1_048_576L);
        assertThat(timeline.get(TimelineSettings.ROCKSDB_MEMORY)).isEqualTo(32L << 20);

        Hl7Settings hl7 = Hl7Settings.from(s);
        assertThat(hl7.maxConnectionsPerPeer()).isEqualTo(4);
        assertThat(hl7.maxConnections()).isEqualTo(Hl7Settings.DEFAULT_MAX_CONNECTIONS);
        assertThat(hl7.zone().getId()).isEqualTo("UTC");
        assertThat(hl7.providerKind()).isEqualTo(ProviderKind.MENTAL_HEALTH);
        assertThat(hl7.defaultOdsCode()).isEmpty();

        FhirSettings fhir = FhirSettings.from(s);
        assertThat(fhir.defaultOdsCode()).hasValueSatisfying(o -> assertThat(o.value()).isEqualTo("RRV"));
        assertThat(fhir.maxBundleEntries()).isEqualTo(20);
        assertThat(fhir.publishTimeout()).isEqualTo(Duration.ofSeconds(5));

        DeliveryConfig delivery = DeliveryConfig.from(s, "kafka:9092", dir);
        assertThat(delivery.parkAfter()).isEqualTo(Duration.ofHours(6));
        assertThat(delivery.backoff().initial()).isEqualTo(Duration.ofSeconds(2));
        assertThat(delivery.backoff().max()).isEqualTo(Duration.ofMinutes(1));
        assertThat(delivery.secretKeys()).as("the key file made under the data directory").isNotNull();

        HttpLimits http = HttpLimits.from(s);
        assertThat(http.maxConnections()).isEqualTo(64);
        assertThat(http.maxThreads()).isEqualTo(16);
        assertThat(http.headerTimeout()).isEqualTo(HttpLimits.DEFAULT_HEADER_TIMEOUT);
    }

    @Test
    void the_defaults_are_the_records_defaults() {
        Settings s = Settings.defaults(SettingsCatalog.ALL);
        assertThat(Hl7Settings.from(s)).isEqualTo(Hl7Settings.defaults());
        assertThat(FhirSettings.from(s)).isEqualTo(FhirSettings.defaults());
        assertThat(HttpLimits.from(s)).isEqualTo(HttpLimits.defaults());
        assertThat(TimelineSettings.from(s).toString()).isEqualTo(TimelineSettings.defaults().toString());
    }

    @Test
    void values_that_only_fail_together_are_refused_naming_both_settings(@TempDir Path dir) {
        assertThatThrownBy(() -> DeliveryConfig.from(file("delivery.backoff-initial", "PT10M",
                "delivery.backoff-max", "PT1M"), "kafka:9092", dir))
                .hasMessageContaining("delivery.backoff-max").hasMessageContaining("delivery.backoff-initial");
        assertThatThrownBy(() -> Hl7Settings.from(file("hl7.max-connections", "8", "hl7.max-connections-per-peer",
                "16"))).hasMessage("setting hl7.max-connections-per-peer = '16' (caretrail.properties) must be at most "
                        + "hl7.max-connections = '8' (caretrail.properties)");
        assertThatThrownBy(() -> FhirSettings.from(file("fhir.max-body-bytes", "4194304")))
                .hasMessageStartingWith("setting fhir.max-buffered-bytes = '2097152' (default) must be at least "
                        + "fhir.max-body-bytes = '4194304' (caretrail.properties)");
        assertThatThrownBy(() -> file("hl7.provider-kind", "HOSPITAL"))
                .hasMessageContaining("setting hl7.provider-kind = 'HOSPITAL' (from caretrail.properties): must be "
                        + "one of ");
        assertThatThrownBy(() -> file("fhir.default-ods-code", "r j 1"))
                .hasMessageContaining("fhir.default-ods-code").hasMessageContaining("'r j 1'");
    }
}
