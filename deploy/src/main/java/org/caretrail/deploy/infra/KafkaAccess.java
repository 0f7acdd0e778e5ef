package org.caretrail.deploy.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CarePrincipal;

/**
 * How each part of CareTrail reaches Kafka: the bootstrap servers and, on a secured cluster, the security
 * files ({@link KafkaSecurity}) from which each {@link CarePrincipal}'s connection is made. The one place the
 * platform and the commands get a {@link KafkaClientSettings} from.
 */
public final class KafkaAccess {

    private final String bootstrapServers;
    private final KafkaSecurity security;

    private KafkaAccess(String bootstrapServers, KafkaSecurity security) {
        this.bootstrapServers = bootstrapServers;
        this.security = security;
    }

    /** A cluster without TLS or authentication: every principal connects the same way. */
    public static KafkaAccess plaintext(String bootstrapServers) {
        return new KafkaAccess(bootstrapServers, null);
    }

    /** A secured cluster (null {@code security}: not secured). */
    public static KafkaAccess of(String bootstrapServers, KafkaSecurity security) {
        return new KafkaAccess(bootstrapServers, security);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public boolean secured() {
        return security != null;
    }

    /** The security files, if secured. */
    public java.util.Optional<KafkaSecurity> security() {
        return java.util.Optional.ofNullable(security);
    }

    /** How {@code principal} connects: TLS and SCRAM as itself on a secured cluster, plain otherwise. */
    public KafkaClientSettings as(CarePrincipal principal) {
        if (security == null) {
            return KafkaClientSettings.plaintext(bootstrapServers);
        }
        try {
            return security.client(bootstrapServers, principal);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Kafka credentials of " + principal.user(), e);
        }
    }

    @Override
    public String toString() {
        return bootstrapServers + (security == null ? " (not secured)" : " (TLS, SASL/SCRAM, ACLs; " + security.dir() + ")");
    }
}
