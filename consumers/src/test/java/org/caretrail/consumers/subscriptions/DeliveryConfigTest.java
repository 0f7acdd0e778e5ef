package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import org.caretrail.events.settings.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key ring of {@code delivery.subscription-keys} is checked when the settings are resolved, before anything
 * starts, and the message names the setting, where it came from and what is wrong, never the key material.
 */
class DeliveryConfigTest {

    /** 20 random-looking bytes: Base64 that reads, but not the 32 bytes an AES-256 key is. */
    private static final String SHORT_KEY = Base64.getEncoder().encodeToString(
            "twenty-bytes-of-key!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    private static Settings resolve(Map<String, String> env, Properties file) {
        return Settings.resolve(DeliveryConfig.DEFINITIONS, Map.of(), env, file, "caretrail.properties");
    }

    @Test
    void a_key_of_the_wrong_length_stops_resolution_naming_the_setting_the_variable_and_the_line_but_not_the_key() {
        assertThatThrownBy(() -> resolve(Map.of(DeliveryConfig.KEYS_ENV, "k1 " + SHORT_KEY), new Properties()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting delivery.subscription-keys")
                .hasMessageContaining("environment variable CARETRAIL_SUBSCRIPTION_KEYS")
                .hasMessageContaining("line 1 (k1): the key must be 32 bytes")
                .hasMessageNotContaining(SHORT_KEY);
    }

    @Test
    void a_key_without_its_id_is_refused_from_the_file_and_the_key_is_not_echoed() {
        String key = SecretKeyRing.newKeyLine().split(" ")[1];
        Properties file = new Properties();
        file.setProperty("delivery.subscription-keys", key + " extra");
        assertThatThrownBy(() -> resolve(Map.of(), file))
                .hasMessageContaining("setting delivery.subscription-keys")
                .hasMessageContaining("(from caretrail.properties)")
                .hasMessageContaining("is not a key ring: secret key line 1 is not '<id> <base64 of 32 bytes>'")
                .hasMessageNotContaining(key);
    }

    @Test
    void a_good_ring_resolves_and_seals_with_its_first_key(@TempDir Path data) throws Exception {
        String current = SecretKeyRing.newKeyLine().replaceFirst("^\\S+", "current");
        String previous = SecretKeyRing.newKeyLine().replaceFirst("^\\S+", "previous");
        Settings settings = resolve(Map.of(DeliveryConfig.KEYS_ENV, current + ";" + previous), new Properties());
        DeliveryConfig config = DeliveryConfig.from(settings, "localhost:9092", data);
        assertThat(config.secretKeys().currentKeyId()).isEqualTo("current");
        String shown = settings.all().stream().filter(r -> r.setting() == DeliveryConfig.SUBSCRIPTION_KEYS)
                .findFirst().orElseThrow().describe();
        assertThat(shown).contains("(set)").doesNotContain(current.split(" ")[1]);
    }

    @Test
    void left_empty_it_is_no_ring_and_the_key_file_is_used() throws Exception {
        Settings settings = resolve(Map.of(), new Properties());
        assertThat(settings.get(DeliveryConfig.SUBSCRIPTION_KEYS)).isEmpty();
    }
}
