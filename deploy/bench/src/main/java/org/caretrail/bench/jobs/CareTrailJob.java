package org.caretrail.bench.jobs;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CareTrail's timeline stream processor as the bench runs it, in its own JVM: exactly as {@code caretrail up}
 * runs it ({@link TimelineApplication} with {@link TimelineSettings}), until SIGTERM closes it cleanly.
 *
 * <pre>
 * java -cp ... org.caretrail.bench.jobs.CareTrailJob REGISTRY_URL timeline.bootstrap.servers=... [timeline.*=...]
 * </pre>
 */
public final class CareTrailJob {

    private static final Logger LOG = LoggerFactory.getLogger(CareTrailJob.class);

    private CareTrailJob() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            values.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        TimelineSettings settings = TimelineSettings.fromMap(values);
        TimelineApplication app = new TimelineApplication(settings, new Topics(new RestSchemaRegistry(args[0])));
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            closed.countDown();
        }, "close-timeline"));
        app.start();
        if (!app.awaitRunning(Duration.ofMinutes(10))) {
            LOG.error("the timeline stream processor did not reach RUNNING: {}", app.health());
        }
        closed.await();
    }
}
