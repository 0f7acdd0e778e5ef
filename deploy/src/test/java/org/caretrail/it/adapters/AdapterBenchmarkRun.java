package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.fhir.FhirBenchmark;
import org.caretrail.producers.hl7.MllpBenchmark;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Runs the adapter benchmarks (test-free main classes in producers) on the real broker and
 * registry. Off unless asked for:
 * {@code mvn -o -q -pl deploy -am test -Dtest=AdapterBenchmarkRun -Dcaretrail.bench=true -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dbench.connections=8 -Dbench.messages=20000 -Dbench.requests=10000} to change the load).
 */
@Tag("integration")
@EnabledIfSystemProperty(named = "caretrail.bench", matches = "true")
class AdapterBenchmarkRun {

    @Test
    void mllpAndFhirThroughputWithDurableAcknowledgements() throws Exception {
        int connections = Integer.getInteger("bench.connections", 8);
        int messages = Integer.getInteger("bench.messages", 20_000);
        int requests = Integer.getInteger("bench.requests", 10_000);
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
             CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(),
                     new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl())), "bench")) {
            MllpBenchmark.Result mllp = MllpBenchmark.run(publisher, broker.bootstrapServers(), connections, messages);
            System.out.println(mllp);
            FhirBenchmark.Result fhir = FhirBenchmark.run(publisher, connections, requests);
            System.out.println(fhir);
            assertThat(mllp.perSecond()).isPositive();
            assertThat(fhir.perSecond()).isPositive();
        }
    }
}
