package org.caretrail.it.kafkasecurity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.deploy.infra.PrincipalsApplier;
import org.caretrail.deploy.security.CertificateAuthority;
import org.caretrail.events.kafka.DurableProducer;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CareAcls;
import org.caretrail.events.topic.CarePrincipal;
import org.caretrail.events.topic.CareTopics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kafka only lets in CareTrail's own principals, each only where its job needs (issue 10 item 8), on a real
 * broker secured as {@code caretrail up} secures it. Expected outcomes come from the declared ACLs
 * ({@code CareAcls}) and Kafka's security model: an unauthenticated or mis-authenticated client never gets a
 * record, an authenticated one without an ACL gets TopicAuthorizationException.
 */
@Tag("integration")
class KafkaSecurityIT {

    private static SecuredKafka kafka;

    @BeforeAll
    static void start() {
        kafka = SecuredKafka.start();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static KafkaProducer<String, String> producer(KafkaClientSettings settings, String clientId) {
        return DurableProducer.create(settings.config(), clientId, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(Map<String, Object> config) {
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    /** Reads partition 0 of {@code topic} from its start for up to {@code patience}. */
    private static List<ConsumerRecord<String, String>> readAll(KafkaClientSettings settings, String topic,
            Duration patience) {
        try (KafkaConsumer<String, String> c = consumer(settings.config())) {
            TopicPartition p = new TopicPartition(topic, 0);
            c.assign(List.of(p));
            c.seekToBeginning(List.of(p));
            List<ConsumerRecord<String, String>> all = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + patience.toNanos();
            while (System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(500)).forEach(all::add);
                if (!all.isEmpty() && c.position(p) >= c.endOffsets(List.of(p)).get(p)) {
                    break;
                }
            }
            return all;
        }
    }

    private static Throwable cause(Throwable t) {
        return t instanceof ExecutionException && t.getCause() != null ? t.getCause() : t;
    }

    @Test
    void noCredentialsAWrongPasswordAndPlaintextAreRefused() throws Exception {
        KafkaClientSettings adapters = kafka.as(CarePrincipal.ADAPTERS);
        // the right user with a wrong password: SCRAM fails, nothing is written
        KafkaClientSettings wrong = KafkaClientSettings.plaintext(kafka.bootstrapServers())
                .withTls(kafka.security.truststore(), kafka.security.truststorePassword())
                .withScram(CarePrincipal.ADAPTERS.user(), "not-" + kafka.security.password(CarePrincipal.ADAPTERS));
        try (KafkaProducer<String, String> p = producer(wrong, "it-wrong-password")) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>("care.admissions", "k", "forged")).get(30, TimeUnit.SECONDS))
                    .satisfies(e -> assertThat(cause(e)).isInstanceOf(SaslAuthenticationException.class));
        }
        // a user that does not exist
        KafkaClientSettings stranger = KafkaClientSettings.plaintext(kafka.bootstrapServers())
                .withTls(kafka.security.truststore(), kafka.security.truststorePassword())
                .withScram("mallory", "whatever-password");
        try (Admin admin = Admin.create(stranger.config(Map.of(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000)))) {
            assertThatThrownBy(() -> admin.listTopics().names().get(30, TimeUnit.SECONDS))
                    .satisfies(e -> assertThat(cause(e)).isInstanceOf(SaslAuthenticationException.class));
        }
        // TLS without any SASL credential, and plain text: the listener speaks SASL over TLS only, so these
        // clients never get an answer to a request (the broker closes the connection)
        Map<String, Object> tlsOnly = KafkaClientSettings.plaintext(kafka.bootstrapServers())
                .withTls(kafka.security.truststore(), kafka.security.truststorePassword()).config();
        Map<String, Object> plain = KafkaClientSettings.plaintext(kafka.bootstrapServers()).config();
        for (Map<String, Object> config : List.of(tlsOnly, plain)) {
            config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8_000);
            config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
            try (Admin admin = Admin.create(config)) {
                assertThatThrownBy(() -> admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .as(config.getOrDefault("security.protocol", "PLAINTEXT").toString())
                        .isInstanceOf(ExecutionException.class);
            }
        }
        // nothing of the above reached the topic
        assertThat(readAll(kafka.as(CarePrincipal.ADMIN), "care.admissions", Duration.ofSeconds(2)))
                .noneMatch(r -> "forged".equals(r.value()));
        assertThat(adapters.principal()).isEqualTo("caretrail-adapters");
    }

    @Test
    void aValidPrincipalWithoutAnAclIsRefusedTheTopic() throws Exception {
        // the access audit writes only care.access-audit: not care events
        try (KafkaProducer<String, String> p = producer(kafka.as(CarePrincipal.AUDIT), "it-audit-forges")) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>("care.admissions", "k", "forged")).get(30, TimeUnit.SECONDS))
                    .satisfies(e -> assertThat(cause(e)).isInstanceOf(TopicAuthorizationException.class));
        }
        // the adapters write care events but cannot read them back, nor write a subscription (where webhooks go)
        assertThatThrownBy(() -> readAll(kafka.as(CarePrincipal.ADAPTERS), "care.admissions", Duration.ofSeconds(10)))
                .isInstanceOf(TopicAuthorizationException.class);
        try (KafkaProducer<String, String> p = producer(kafka.as(CarePrincipal.ADAPTERS), "it-adapters-subscribe")) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>(CareTopics.SUBSCRIPTIONS, "s", "{}")).get(30, TimeUnit.SECONDS))
                    .satisfies(e -> assertThat(cause(e)).isInstanceOf(TopicAuthorizationException.class));
        }
        // subscriptions cannot take the stream processor's transactional id (exactly-once fencing)
        Map<String, Object> tx = kafka.as(CarePrincipal.SUBSCRIPTIONS).config();
        tx.put("transactional.id", CareAcls.TIMELINE_APPLICATION_PREFIX + "-v2-hijack");
        try (KafkaProducer<String, String> p = new KafkaProducer<>(tx, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(p::initTransactions).isInstanceOf(TransactionalIdAuthorizationException.class);
        }
    }

    @Test
    void anAnalystReadsTheCareEventTopicsButCannotWriteNorReadTheAccessAudit() throws Exception {
        try (KafkaProducer<String, String> p = producer(kafka.as(CarePrincipal.ADAPTERS), "it-adapters")) {
            p.send(new ProducerRecord<>("care.consents", 0, "9990001006", "consent-record")).get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> p = producer(kafka.as(CarePrincipal.AUDIT), "it-audit")) {
            p.send(new ProducerRecord<>(CareTopics.ACCESS_AUDIT, 0, "9990001006", "who-read-what")).get(30, TimeUnit.SECONDS);
        }
        KafkaClientSettings analyst = kafka.as(CarePrincipal.ANALYST);
        assertThat(readAll(analyst, "care.consents", Duration.ofSeconds(30))).extracting(ConsumerRecord::value)
                .contains("consent-record");

        // a plain producer: the write itself is refused
        Map<String, Object> plain = analyst.config(Map.of("enable.idempotence", false, "acks", "1",
                "max.block.ms", 15_000));
        try (KafkaProducer<String, String> p = new KafkaProducer<>(plain, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>("care.admissions", "k", "from-an-analyst"))
                    .get(30, TimeUnit.SECONDS))
                    .satisfies(e -> assertThat(cause(e)).isInstanceOf(TopicAuthorizationException.class));
            assertThatThrownBy(() -> p.send(new ProducerRecord<>("care.consents", "k", "opt-me-out"))
                    .get(30, TimeUnit.SECONDS))
                    .satisfies(e -> assertThat(cause(e)).isInstanceOf(TopicAuthorizationException.class));
        }
        // CareTrail's durable (idempotent) producer does not even get a producer id: a principal that may write
        // no topic is refused the idempotent-write permission on the cluster (KIP-679)
        try (KafkaProducer<String, String> p = producer(analyst, "it-analyst-writes")) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>("care.consents", "k", "opt-me-out"))
                    .get(30, TimeUnit.SECONDS))
                    .satisfies(e -> assertThat(cause(e)).isInstanceOf(AuthorizationException.class));
        }
        assertThatThrownBy(() -> readAll(analyst, CareTopics.ACCESS_AUDIT, Duration.ofSeconds(10)))
                .isInstanceOf(TopicAuthorizationException.class);
        assertThatThrownBy(() -> readAll(analyst, CareTopics.TIMELINES, Duration.ofSeconds(10)))
                .isInstanceOf(TopicAuthorizationException.class);
        // the operator can see the audit record is there: the analyst was refused, not shown an empty topic
        assertThat(readAll(kafka.as(CarePrincipal.ADMIN), CareTopics.ACCESS_AUDIT, Duration.ofSeconds(30)))
                .extracting(ConsumerRecord::value).contains("who-read-what");
    }

    @Test
    void aClientThatDoesNotTrustTheCareTrailCaCannotConnect(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String password = kafka.security.password(CarePrincipal.ANALYST);
        // the JDK's own trust store (public CAs): the broker's certificate is not trusted
        Map<String, Object> jdkTrust = KafkaClientSettings.plaintext(kafka.bootstrapServers())
                .withScram(CarePrincipal.ANALYST.user(), password).config();
        jdkTrust.put("security.protocol", "SASL_SSL");
        // another CA's trust store (a look-alike CareTrail CA made elsewhere)
        CertificateAuthority other = CertificateAuthority.loadOrCreate(dir.resolve("other-ca.p12"), "pw".toCharArray());
        other.writeTruststore(dir.resolve("other-trust.p12"), "pw".toCharArray());
        Map<String, Object> otherTrust = KafkaClientSettings.plaintext(kafka.bootstrapServers())
                .withTls(dir.resolve("other-trust.p12"), "pw").withScram(CarePrincipal.ANALYST.user(), password).config();
        for (Map<String, Object> config : List.of(jdkTrust, otherTrust)) {
            config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
            config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            try (Admin admin = Admin.create(config)) {
                assertThatThrownBy(() -> admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .satisfies(e -> assertThat(cause(e)).isInstanceOf(SslAuthenticationException.class));
            }
        }
        // the password never went to an untrusted server in a readable form (SCRAM), and the trusted client works
        try (Admin admin = Admin.create(kafka.as(CarePrincipal.ANALYST).config())) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("care.admissions")
                    .doesNotContain(CareTopics.ACCESS_AUDIT); // topics it may not describe are not even listed
        }
        assertThat(Files.exists(kafka.security.truststore())).isTrue();
    }

    @Test
    void principalsAndAclsApplyIdempotentlyAndUndeclaredOnesAreReportedNotRemoved() throws Exception {
        KafkaClientSettings admin = kafka.as(CarePrincipal.ADMIN);
        List<PrincipalsApplier.Outcome> again = new PrincipalsApplier(admin, kafka.security).apply();
        assertThat(again).extracting(PrincipalsApplier.Outcome::action).doesNotContain("created");
        assertThat(again).filteredOn(o -> o.action().equals("kept")).singleElement()
                .satisfies(o -> assertThat(o.subject()).isEqualTo(CareAcls.all().size() + " ACLs"));

        AclBinding extra = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "care.admissions", PatternType.LITERAL),
                new AccessControlEntry("User:someone-else", "*", AclOperation.READ, AclPermissionType.ALLOW));
        try (Admin client = Admin.create(admin.config())) {
            client.createAcls(List.of(extra)).all().get(30, TimeUnit.SECONDS);
        }
        List<PrincipalsApplier.Outcome> withExtra = new PrincipalsApplier(admin, kafka.security).apply();
        assertThat(withExtra).filteredOn(o -> o.action().equals("extra"))
                .anySatisfy(o -> assertThat(o.subject()).contains("User:someone-else").contains("care.admissions"));
        try (Admin client = Admin.create(admin.config())) {
            assertThat(client.describeAcls(extra.toFilter()).values().get(30, TimeUnit.SECONDS)).containsExactly(extra);
            client.deleteAcls(List.of(extra.toFilter())).all().get(30, TimeUnit.SECONDS);
        }
        assertThat(new HashMap<>(admin.config())).containsEntry("security.protocol", "SASL_SSL");
    }
}
