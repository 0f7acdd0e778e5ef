package org.caretrail.consumers.subscriptions;

import java.util.Arrays;

/** What a subscriber receives in each POST. */
public enum PayloadFormat {
    /** CareTrail's JSON: {@link WebhookPayload}. */
    CARETRAIL_JSON("caretrail-json", "application/json"),
    /** A FHIR R4 notification Bundle: {@link FhirNotification}. */
    FHIR_R4("fhir-r4", FhirNotification.CONTENT_TYPE);

    private final String jsonName;
    private final String contentType;

    PayloadFormat(String jsonName, String contentType) {
        this.jsonName = jsonName;
        this.contentType = contentType;
    }

    public String jsonName() {
        return jsonName;
    }

    public String contentType() {
        return contentType;
    }

    public static PayloadFormat parse(String text) {
        return Arrays.stream(values()).filter(f -> f.jsonName.equalsIgnoreCase(text)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("payload '" + text
                        + "' must be caretrail-json or fhir-r4"));
    }
}
