package org.caretrail.it.timeline;

import java.nio.file.Path;
import java.time.Duration;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;

/**
 * The timeline stream processor alone in a JVM, so a test can kill -9 it:
 * {@code TimelineProcessMain <bootstrap> <registryUrl> <applicationId> <stateDir>}. Prints RUNNING once running.
 */
public final class TimelineProcessMain {

    private TimelineProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        TimelineSettings settings = TimelineSettings.defaults()
                .with(TimelineSettings.BOOTSTRAP_SERVERS, args[0])
                .with(TimelineSettings.APPLICATION_ID, args[2])
                .with(TimelineSettings.STATE_DIR, Path.of(args[3]));
        TimelineApplication app = new TimelineApplication(settings, new RestSchemaRegistry(args[1]));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close));
        app.start();
        if (app.awaitRunning(Duration.ofSeconds(120))) {
            System.out.println("RUNNING");
            System.out.flush();
        }
        Thread.currentThread().join();
    }
}
