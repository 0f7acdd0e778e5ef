package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {

    @Test
    void signatureIsHmacSha256OfTimestampDotBody() {
        // RFC 4231 test case 2 key/data, with our "<timestamp>." prefix folded into the data:
        // HMAC-SHA256("Jefe", "what do ya want for nothing?") is 5bdcc146...; here data = "0." + body.
        String expected = "sha256=" + java.util.HexFormat.of().formatHex(WebhookSigner.hmac("Jefe",
                "0.what do ya want for nothing?"));
        assertThat(WebhookSigner.sign("Jefe", 0, "what do ya want for nothing?")).isEqualTo(expected);
        assertThat(java.util.HexFormat.of().formatHex(WebhookSigner.hmac("Jefe", "what do ya want for nothing?")))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    @Test
    void verifyAcceptsTheRightSecretOnly() {
        String signature = WebhookSigner.sign("s3cret", 1_700_000_000L, "{\"a\":1}");
        assertThat(WebhookSigner.verify("s3cret", 1_700_000_000L, "{\"a\":1}", signature)).isTrue();
        assertThat(WebhookSigner.verify("other", 1_700_000_000L, "{\"a\":1}", signature)).isFalse();
        assertThat(WebhookSigner.verify("s3cret", 1_700_000_001L, "{\"a\":1}", signature)).isFalse();
        assertThat(WebhookSigner.verify("s3cret", 1_700_000_000L, "{\"a\":2}", signature)).isFalse();
        assertThat(WebhookSigner.verify("s3cret", 1_700_000_000L, "{\"a\":1}", null)).isFalse();
    }

    @Test
    void secretsAreFreshAndLongEnough() {
        String a = WebhookSigner.newSecret();
        assertThat(a).hasSizeGreaterThanOrEqualTo(43).isNotEqualTo(WebhookSigner.newSecret());
    }

    @Test
    void backoffDoublesUpToItsCap() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertThat(backoff.delay(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.delay(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.delay(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(backoff.delay(5)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.delay(1000)).isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> backoff.delay(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
