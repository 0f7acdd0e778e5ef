package org.caretrail.events.json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.caretrail.events.CareEventType;

/**
 * The documented example of each event type's JSON form (resources
 * {@code org/caretrail/events/examples/<type>.json}): what the README shows and the tests parse.
 */
public final class ExampleEvents {

    private ExampleEvents() {
    }

    /** The example JSON text for {@code type}. */
    public static String json(CareEventType type) {
        String resource = "/org/caretrail/events/examples/" + type.jsonName() + ".json";
        try (InputStream in = ExampleEvents.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no example for " + type.jsonName() + " at " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The example parsed into its Avro record. */
    public static CareEventJson.ParsedEvent parsed(CareEventType type) {
        return CareEventJson.parseEvent(json(type));
    }
}
