package org.caretrail.timeline.errors;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.caretrail.events.topic.CareTopics;

/**
 * The dead-letter record format: the original key and value bytes untouched, and headers naming
 * the reason and the origin ({@link CareTopics#HEADER_REASON}, {@link CareTopics#HEADER_SOURCE_TOPIC},
 * {@link CareTopics#HEADER_SOURCE_PARTITION}, {@link CareTopics#HEADER_SOURCE_OFFSET}).
 */
public final class DeadLetters {

    /** Longest reason text kept in a header. */
    static final int MAX_REASON = 2000;

    private DeadLetters() {
    }

    /** The dead-letter headers (added to {@code headers}, which is returned). */
    public static Headers headers(Headers headers, String reason, String topic, int partition, long offset) {
        String r = reason == null ? "unknown" : reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason;
        headers.remove(CareTopics.HEADER_REASON);
        headers.add(CareTopics.HEADER_REASON, bytes(r));
        headers.remove(CareTopics.HEADER_SOURCE_TOPIC);
        headers.add(CareTopics.HEADER_SOURCE_TOPIC, bytes(topic == null ? "" : topic));
        headers.remove(CareTopics.HEADER_SOURCE_PARTITION);
        headers.add(CareTopics.HEADER_SOURCE_PARTITION, bytes(Integer.toString(partition)));
        headers.remove(CareTopics.HEADER_SOURCE_OFFSET);
        headers.add(CareTopics.HEADER_SOURCE_OFFSET, bytes(Long.toString(offset)));
        return headers;
    }

    public static ProducerRecord<byte[], byte[]> record(String deadLetterTopic, byte[] key, byte[] value,
            String reason, String topic, int partition, long offset) {
        return new ProducerRecord<>(deadLetterTopic, null, key, value,
                headers(new RecordHeaders(), reason, topic, partition, offset));
    }

    /** A header's text, or null when absent. */
    public static String header(Headers headers, String name) {
        var h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
