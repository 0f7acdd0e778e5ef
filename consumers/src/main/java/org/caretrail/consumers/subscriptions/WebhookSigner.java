package org.caretrail.consumers.subscriptions;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs webhook bodies: header {@value #SIGNATURE_HEADER} = {@code sha256=<hex>} where hex is
 * HMAC-SHA256, keyed with the subscription's secret (its UTF-8 bytes), over
 * {@code <timestamp> + "." + <body>}, the timestamp being the {@value #TIMESTAMP_HEADER} header
 * (epoch seconds). Receivers recompute it and compare in constant time; checking the timestamp is
 * recent stops old deliveries being replayed at them.
 */
public final class WebhookSigner {

    public static final String SIGNATURE_HEADER = "X-CareTrail-Signature";
    public static final String TIMESTAMP_HEADER = "X-CareTrail-Timestamp";
    public static final String DELIVERY_ID_HEADER = "X-CareTrail-Delivery-Id";
    public static final String SUBSCRIPTION_ID_HEADER = "X-CareTrail-Subscription-Id";
    public static final String ATTEMPT_HEADER = "X-CareTrail-Attempt";

    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSigner() {
    }

    /** A fresh 256-bit secret, URL-safe Base64. */
    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static String sign(String secret, long timestampSeconds, String body) {
        return "sha256=" + HexFormat.of().formatHex(hmac(secret, timestampSeconds + "." + body));
    }

    public static boolean verify(String secret, long timestampSeconds, String body, String signatureHeader) {
        if (signatureHeader == null) {
            return false;
        }
        return MessageDigest.isEqual(sign(secret, timestampSeconds, body).getBytes(StandardCharsets.US_ASCII),
                signatureHeader.getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] hmac(String secret, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
