package org.caretrail.events.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSettingsTest {

    @Test
    void tlsAndScramMakeSaslSslWithHostNameVerificationAndTheUserIsKnownButNeverShown() {
        KafkaClientSettings s = KafkaClientSettings.plaintext("localhost:9092")
                .withTls(Path.of("/secure/truststore.p12"), "trust-pw")
                .withScram("caretrail-adapters", "s3cret-pw");
        Map<String, Object> c = s.config();
        assertThat(c).containsEntry("bootstrap.servers", "localhost:9092")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.endpoint.identification.algorithm", "https")
                .containsEntry("ssl.truststore.location", "/secure/truststore.p12")
                .containsEntry("ssl.truststore.type", "PKCS12");
        assertThat((String) c.get("sasl.jaas.config")).contains("ScramLoginModule required")
                .contains("username=\"caretrail-adapters\"").contains("password=\"s3cret-pw\"");
        assertThat(s.principal()).isEqualTo("caretrail-adapters");
        assertThat(s.toString()).contains("SASL_SSL").contains("caretrail-adapters")
                .doesNotContain("s3cret-pw").doesNotContain("trust-pw");
        // the order of TLS and SCRAM does not matter
        assertThat(KafkaClientSettings.plaintext("localhost:9092").withScram("caretrail-adapters", "s3cret-pw")
                .withTls(Path.of("/secure/truststore.p12"), "trust-pw")).isEqualTo(s);
    }

    @Test
    void plaintextIsOnlyTheBootstrapServersAndClientSettingsCannotOverrideTheConnection() {
        KafkaClientSettings s = KafkaClientSettings.plaintext("localhost:9092");
        assertThat(s.config()).containsOnlyKeys("bootstrap.servers");
        assertThat(s.isTls()).isFalse();
        assertThat(s.isSasl()).isFalse();
        KafkaClientSettings secured = s.withTls(Path.of("/t.p12"), "pw");
        Map<String, Object> c = secured.config(Map.of("security.protocol", "PLAINTEXT", "bootstrap.servers", "evil:1",
                "client.id", "x"));
        assertThat(c).containsEntry("security.protocol", "SSL").containsEntry("bootstrap.servers", "localhost:9092")
                .containsEntry("client.id", "x");
    }

    @Test
    void aCredentialThatWouldBreakOutOfTheJaasLineIsRefused() {
        KafkaClientSettings s = KafkaClientSettings.plaintext("localhost:9092");
        assertThatThrownBy(() -> s.withScram("admin\" password=\"x", "pw")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.withScram("u", "pw\";evil")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("evil");
        assertThatThrownBy(() -> s.withScram("u", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KafkaClientSettings.plaintext(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aClientPropertiesFileRoundTripsAndAnythingButSecurityIsRefused(@TempDir Path dir) throws Exception {
        KafkaClientSettings s = KafkaClientSettings.plaintext("localhost:9092")
                .withTls(Path.of("/secure/truststore.p12"), "trust-pw").withScram("caretrail-analyst", "pw-1");
        Path file = dir.resolve("analyst.properties");
        Files.writeString(file, s.toPropertiesText("for the analyst"));
        assertThat(KafkaClientSettings.fromFile("localhost:9092", file)).isEqualTo(s);
        assertThat(KafkaClientSettings.fromFile("other:9093", file).bootstrapServers()).isEqualTo("other:9093");

        Path typo = dir.resolve("typo.properties");
        Files.writeString(typo, "security.protocol=SASL_SSL\nsasl.mechanisms=PLAIN\n");
        assertThatThrownBy(() -> KafkaClientSettings.fromFile("localhost:9092", typo))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sasl.mechanisms");
    }
}
