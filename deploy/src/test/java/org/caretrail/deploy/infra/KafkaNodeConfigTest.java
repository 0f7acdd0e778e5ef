package org.caretrail.deploy.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.caretrail.events.topic.Replication;
import org.junit.jupiter.api.Test;

class KafkaNodeConfigTest {

    @Test
    void aClusterNodeJoinsAStaticQuorumOfThreeAndReplicatesItsInternalTopicsThreeWithTwoInSync() {
        Properties p = KafkaNodeConfig.node(2, 9093, 19093, Path.of("/data/node-2/kafka"), Replication.CLUSTER)
                .voters(Map.of(1, 19092, 2, 19093, 3, 19094)).toProperties();
        assertThat(p.getProperty("node.id")).isEqualTo("2");
        assertThat(p.getProperty("process.roles")).isEqualTo("broker,controller");
        assertThat(p.getProperty("controller.quorum.voters").split(","))
                .containsExactlyInAnyOrder("1@localhost:19092", "2@localhost:19093", "3@localhost:19094");
        assertThat(p.getProperty("listeners")).isEqualTo("PLAINTEXT://localhost:9093,CONTROLLER://localhost:19093");
        assertThat(p.getProperty("advertised.listeners")).isEqualTo("PLAINTEXT://localhost:9093");
        assertThat(p.getProperty("default.replication.factor")).isEqualTo("3");
        assertThat(p.getProperty("min.insync.replicas")).isEqualTo("2");
        assertThat(p.getProperty("offsets.topic.replication.factor")).isEqualTo("3");
        assertThat(p.getProperty("transaction.state.log.min.isr")).isEqualTo("2");
        assertThat(p.getProperty("unclean.leader.election.enable")).isEqualTo("false");
        assertThat(p.getProperty("controller.quorum.bootstrap.servers")).isNull();
    }

    @Test
    void aListenerCanBeAddedWithItsSecurityProtocolWithoutTouchingTheRest() {
        Properties p = KafkaNodeConfig.node(1, 9092, 19092, Path.of("/d"), Replication.SINGLE_BROKER)
                .listener("SECURE", new KafkaNodeConfig.Listener("localhost", 9192, "SASL_SSL"))
                .set("ssl.keystore.location", "/secrets/broker.p12").toProperties();
        assertThat(p.getProperty("listener.security.protocol.map"))
                .isEqualTo("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SECURE:SASL_SSL");
        assertThat(p.getProperty("advertised.listeners")).isEqualTo("PLAINTEXT://localhost:9092,SECURE://localhost:9192");
        assertThat(p.getProperty("ssl.keystore.location")).isEqualTo("/secrets/broker.p12");
        assertThat(p.getProperty("controller.quorum.bootstrap.servers")).isEqualTo("localhost:19092");
        assertThat(p.getProperty("min.insync.replicas")).isEqualTo("1");
    }
}
