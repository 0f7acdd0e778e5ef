package org.caretrail.events.topic;

import org.apache.kafka.common.serialization.Serde;

/** A topic bound to its key and value serdes: what producers and consumers need to use it. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
}
