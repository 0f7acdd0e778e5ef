package org.caretrail.events.topic;

/**
 * How many brokers keep a copy of each partition ({@code factor}) and how many of them must have a
 * write before the producer is told it is written ({@code minInsyncReplicas}, Kafka's
 * {@code min.insync.replicas}, with {@code acks=all}). A care event that was acknowledged (an HL7
 * AA, a FHIR 201, a publisher future) must survive the loss of any one broker: that needs a factor
 * of at least 3 and at least 2 in sync, so a write is on two brokers before it is acknowledged and
 * writing goes on while one broker is down. {@link #CLUSTER} is that; {@link #SINGLE_BROKER} is all a
 * one-machine platform can have (its durability is the machine's disk).
 */
public record Replication(int factor, int minInsyncReplicas) {

    /** One broker: one copy, acknowledged when that copy is written. */
    public static final Replication SINGLE_BROKER = new Replication(1, 1);
    /** A cluster of three or more brokers: three copies, two in sync before an acknowledgement. */
    public static final Replication CLUSTER = new Replication(3, 2);

    public Replication {
        if (factor < 1 || factor > Short.MAX_VALUE) {
            throw new IllegalArgumentException("replication factor " + factor + " must be at least 1");
        }
        if (minInsyncReplicas < 1 || minInsyncReplicas > factor) {
            throw new IllegalArgumentException("min.insync.replicas " + minInsyncReplicas
                    + " must be between 1 and the replication factor " + factor);
        }
    }

    /** Reads {@code FACTOR/MIN_ISR}, e.g. {@code 3/2}. */
    public static Replication parse(String text) {
        String[] parts = text.trim().split("/");
        if (parts.length != 2) {
            throw new IllegalArgumentException("replication '" + text + "' is not FACTOR/MIN_ISR, e.g. 3/2");
        }
        try {
            return new Replication(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("replication '" + text + "' is not FACTOR/MIN_ISR, e.g. 3/2", e);
        }
    }

    /**
     * What this declaration becomes on a cluster of {@code brokers}: unchanged when there are enough
     * brokers, else one copy per broker with at most {@code brokers - 1} in sync (at least 1), so
     * writing still works: a single broker gets {@link #SINGLE_BROKER}.
     */
    public Replication on(int brokers) {
        if (brokers < 1) {
            throw new IllegalArgumentException("a cluster has at least one broker, not " + brokers);
        }
        if (brokers >= factor) {
            return this;
        }
        return new Replication(brokers, Math.max(1, Math.min(minInsyncReplicas, brokers - 1)));
    }

    /**
     * Whether an acknowledged write survives the loss of any one broker and writing goes on while it
     * is away: factor at least 3, at least 2 in sync, and fewer in sync than copies.
     */
    public boolean survivesOneBrokerLoss() {
        return factor >= 3 && minInsyncReplicas >= 2 && minInsyncReplicas < factor;
    }

    @Override
    public String toString() {
        return factor + "/" + minInsyncReplicas;
    }
}
