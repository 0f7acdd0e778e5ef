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

    @Test
    void aSecuredNodeTakesSaslScramOverTlsFromClientsMutualTlsFromBrokersAndDeniesWhatNoAclAllows() {
        KafkaNodeConfig c = KafkaNodeConfig.node(1, 9092, 19092, Path.of("/d"), Replication.SINGLE_BROKER)
                .secured(19192, Path.of("/s/node-1.p12"), "ks-pw", Path.of("/s/truststore.p12"), "ts-pw",
                        "caretrail-broker", java.util.List.of("caretrail-admin"));
        Properties p = c.toProperties();
        assertThat(p.getProperty("listener.security.protocol.map").split(","))
                .containsExactlyInAnyOrder("CLIENT:SASL_SSL", "BROKER:SSL", "CONTROLLER:SSL");
        // clients come in where they always did; nothing listens in plain text any more
        assertThat(c.clientPort()).isEqualTo(9092);
        assertThat(c.brokerPort()).isEqualTo(19192);
        assertThat(p.getProperty("listeners")).doesNotContain("PLAINTEXT");
        assertThat(p.getProperty("advertised.listeners").split(","))
                .containsExactlyInAnyOrder("CLIENT://localhost:9092", "BROKER://localhost:19192");
        assertThat(p.getProperty("inter.broker.listener.name")).isEqualTo("BROKER");
        assertThat(p.getProperty("listener.name.client.sasl.enabled.mechanisms")).isEqualTo("SCRAM-SHA-512");
        assertThat(p.getProperty("listener.name.broker.ssl.client.auth")).isEqualTo("required");
        assertThat(p.getProperty("listener.name.controller.ssl.client.auth")).isEqualTo("required");
        assertThat(p.getProperty("ssl.endpoint.identification.algorithm")).isEqualTo("https");
        assertThat(p.getProperty("authorizer.class.name")).isEqualTo("org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        assertThat(p.getProperty("allow.everyone.if.no.acl.found")).isEqualTo("false");
        assertThat(p.getProperty("super.users")).isEqualTo("User:caretrail-broker;User:caretrail-admin");
        assertThat(p.getProperty("ssl.keystore.type")).isEqualTo("PKCS12");
        assertThat(c.isSecured()).isTrue();
    }

    @Test
    void onlyACareTrailIssuedCommonNameBecomesAShortPrincipal() throws Exception {
        // Kafka's own rule engine, with the rule the secured node sets
        Properties p = KafkaNodeConfig.node(1, 9092, 19092, Path.of("/d"), Replication.SINGLE_BROKER)
                .secured(19192, Path.of("/k"), "x", Path.of("/t"), "y", "caretrail-broker", java.util.List.of())
                .toProperties();
        var rules = org.apache.kafka.common.security.ssl.SslPrincipalMapper.fromRules(
                p.getProperty("ssl.principal.mapping.rules"));
        assertThat(rules.getName("CN=caretrail-broker,O=CareTrail")).isEqualTo("caretrail-broker");
        // a certificate from elsewhere keeps its whole distinguished name: never a super user by accident
        assertThat(rules.getName("CN=caretrail-broker,O=Elsewhere")).isEqualTo("CN=caretrail-broker,O=Elsewhere");
        assertThat(rules.getName("CN=caretrail-broker,OU=x,O=CareTrail")).isEqualTo("CN=caretrail-broker,OU=x,O=CareTrail");
    }
}
