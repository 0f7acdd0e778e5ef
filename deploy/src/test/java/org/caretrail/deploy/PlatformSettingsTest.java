package org.caretrail.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PlatformSettingsTest {

    private static PlatformSettings settings(String httpHost, String advertised) {
        return new PlatformSettings(Path.of("data"), null, null, 9092, 8081, httpHost, 8080, 2575, Path.of("apicurio"),
                "", 0, 0, 1, null, advertised);
    }

    @Test
    void otherInstancesReachThisOneWhereItListensUnlessThatIsEveryAddress() {
        assertThat(settings("127.0.0.1", null).advertisedHttpHost()).isEqualTo("127.0.0.1");
        assertThat(settings("10.1.2.3", " ").advertisedHttpHost()).isEqualTo("10.1.2.3");
        assertThat(settings("0.0.0.0", null).advertisedHttpHost()).isNotBlank().isNotEqualTo("0.0.0.0");
        assertThat(settings("0.0.0.0", "caretrail-0.caretrail-headless").advertisedHttpHost())
                .isEqualTo("caretrail-0.caretrail-headless");
        assertThat(settings("127.0.0.1", null).apiAccess().requiresToken()).isFalse();
    }

    @Test
    void portsAreChecked() {
        assertThatThrownBy(() -> new PlatformSettings(Path.of("data"), null, null, 70000, 8081, "127.0.0.1", 8080, 2575,
                Path.of("apicurio"), "", 0, 0, 1, null, null)).hasMessageContaining("kafka port 70000");
    }
}
