package org.caretrail.deploy.infra;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CareAcls;
import org.caretrail.events.topic.CarePrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a secured Kafka cluster's principals and ACLs match {@link CarePrincipal} and {@link CareAcls}, as
 * {@link TopicsApplier} does for the topics, through the Admin API and as the operator principal. Idempotent:
 * each principal's SCRAM-SHA-512 credential is set from its password file (so a password the operator changed
 * takes effect), missing ACLs are created, and ACLs or SCRAM users that CareTrail does not declare are
 * reported, never removed (another application may share the cluster; removing is the operator's call).
 */
public final class PrincipalsApplier {

    private static final Logger LOG = LoggerFactory.getLogger(PrincipalsApplier.class);
    /** PBKDF iterations of each SCRAM credential (Kafka's minimum is 4096). */
    static final int SCRAM_ITERATIONS = 8192;

    /** What applying did: {@code subject} is a principal or an ACL, {@code action} created, set, kept or extra. */
    public record Outcome(String subject, String action, String detail) {
    }

    private final KafkaClientSettings admin;
    private final KafkaSecurity security;

    /** @param admin the operator principal's connection ({@link CarePrincipal#ADMIN}) */
    public PrincipalsApplier(KafkaClientSettings admin, KafkaSecurity security) {
        this.admin = admin;
        this.security = security;
    }

    public List<Outcome> apply() throws IOException, InterruptedException, ExecutionException, TimeoutException {
        List<Outcome> outcomes = new ArrayList<>();
        try (Admin client = Admin.create(admin.config(Map.of(AdminClientConfig.CLIENT_ID_CONFIG, "caretrail-principals",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000)))) {
            List<UserScramCredentialAlteration> credentials = new ArrayList<>();
            for (CarePrincipal p : CarePrincipal.values()) {
                credentials.add(upsertion(p, security.password(p)));
            }
            client.alterUserScramCredentials(credentials).all().get(30, TimeUnit.SECONDS);
            for (CarePrincipal p : CarePrincipal.values()) {
                outcomes.add(new Outcome(p.kafkaPrincipal(), "set", "SCRAM-SHA-512 credential from "
                        + security.dir().relativize(security.passwordFile(p))));
            }
            Set<String> declaredUsers = new LinkedHashSet<>();
            for (CarePrincipal p : CarePrincipal.values()) {
                declaredUsers.add(p.user());
            }
            for (String user : client.describeUserScramCredentials().users().get(30, TimeUnit.SECONDS)) {
                if (!declaredUsers.contains(user)) {
                    outcomes.add(new Outcome("User:" + user, "extra", "a SCRAM user CareTrail does not declare (kept)"));
                }
            }

            Collection<AclBinding> present = client.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS);
            Set<AclBinding> existing = new LinkedHashSet<>(present);
            List<AclBinding> missing = CareAcls.all().stream().filter(b -> !existing.contains(b)).toList();
            if (!missing.isEmpty()) {
                client.createAcls(missing).all().get(60, TimeUnit.SECONDS);
            }
            missing.forEach(b -> outcomes.add(new Outcome(describe(b), "created", "")));
            Set<AclBinding> declared = new LinkedHashSet<>(CareAcls.all());
            for (AclBinding b : present) {
                if (!declared.contains(b)) {
                    outcomes.add(new Outcome(describe(b), "extra", "an ACL CareTrail does not declare (kept)"));
                }
            }
            int kept = CareAcls.all().size() - missing.size();
            if (kept > 0) {
                outcomes.add(new Outcome(kept + " ACLs", "kept", "already as declared"));
            }
        }
        return outcomes;
    }

    /**
     * The first start of a secured cluster: no SCRAM credential exists yet, so the brokers' own identity
     * ({@code broker}: mutual TLS on the internal listener, a super user) sets the operator's, and waits until
     * the operator can authenticate on {@code adminSettings}. Everything else is then done as the operator.
     */
    static void bootstrapOperator(KafkaClientSettings broker, KafkaClientSettings adminSettings, KafkaSecurity security,
            Duration timeout) throws IOException {
        try (Admin client = Admin.create(broker.config(Map.of(AdminClientConfig.CLIENT_ID_CONFIG, "caretrail-bootstrap",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis())))) {
            client.alterUserScramCredentials(List.of(upsertion(CarePrincipal.ADMIN,
                    security.password(CarePrincipal.ADMIN)))).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot set the operator's SCRAM credential as the broker: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        awaitAuthenticates(adminSettings, timeout);
    }

    /** Waits until {@code settings} authenticate (a new credential reaches every broker through the metadata log). */
    static void awaitAuthenticates(KafkaClientSettings settings, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        try (Admin client = Admin.create(settings.config(Map.of(AdminClientConfig.CLIENT_ID_CONFIG, "caretrail-check",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000)))) {
            while (System.nanoTime() < deadline) {
                try {
                    client.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                    LOG.debug("{} cannot authenticate yet: {}", settings, e.toString());
                    Thread.sleep(200);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        throw new IOException(settings + " could not authenticate within " + timeout
                + (last == null ? "" : ": " + last.getMessage()));
    }

    private static UserScramCredentialUpsertion upsertion(CarePrincipal p, String password) {
        return new UserScramCredentialUpsertion(p.user(), new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512,
                SCRAM_ITERATIONS), password);
    }

    private static String describe(AclBinding b) {
        return b.entry().principal() + " " + b.entry().permissionType() + " " + b.entry().operation() + " "
                + b.pattern().resourceType() + " " + b.pattern().name()
                + (b.pattern().patternType() == org.apache.kafka.common.resource.PatternType.PREFIXED ? "*" : "");
    }
}
