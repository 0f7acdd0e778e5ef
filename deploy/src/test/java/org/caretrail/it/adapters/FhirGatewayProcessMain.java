package org.caretrail.it.adapters;

import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.producers.fhir.FhirGateway;
import org.caretrail.producers.publisher.CarePublisher;

/**
 * The FHIR gateway alone in a JVM, on the platform's HTTP server with its {@code /health}, so a test
 * can flood it under a small heap: {@code FhirGatewayProcessMain <bootstrap> <registryUrl>}. Prints
 * {@code PORT <n>} once listening.
 */
public final class FhirGatewayProcessMain {

    private FhirGatewayProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        CarePublisher publisher = CarePublisher.connect(args[0], new Topics(new RestSchemaRegistry(args[1])),
                "fhir-gateway-process");
        PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", 0, () -> "");
        FhirGateway gateway = new FhirGateway(publisher);
        gateway.ready().get(120, java.util.concurrent.TimeUnit.SECONDS);
        http.mount("/fhir/r4", gateway);
        http.healthCheck("fhir", () -> true);
        http.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            http.close();
            publisher.close();
        }));
        System.out.println("PORT " + http.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
