package org.caretrail.events.serde;

import org.apache.avro.Schema;

/**
 * A schema registry as Confluent's REST API defines it: schemas registered under a subject
 * ({@code <topic>-value}) get a global id, the id travels in every record, readers fetch the
 * writer's schema by id.
 */
public interface SchemaRegistry extends AutoCloseable {

    /** The compatibility CareTrail sets on its subjects: every change both ways, with all history. */
    String FULL_TRANSITIVE = "FULL_TRANSITIVE";

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its id. */
    int register(String subject, Schema schema);

    /** The schema with this id; throws {@link SchemaRegistryException} when there is none. */
    Schema schemaById(int id);

    /** Whether {@code schema} may be registered under {@code subject} given its compatibility level. */
    boolean isCompatible(String subject, Schema schema);

    /** Sets the compatibility level of {@code subject}, e.g. {@link #FULL_TRANSITIVE}. */
    void setCompatibility(String subject, String level);

    @Override
    default void close() {
    }
}
