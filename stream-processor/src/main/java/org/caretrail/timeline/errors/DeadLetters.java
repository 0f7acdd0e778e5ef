package org.caretrail.timeline.errors;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.caretrail.events.topic.CareTopics;

/**
 * The dead-letter record format: the original key and value bytes, and headers naming the reason and the
 * origin ({@link CareTopics#HEADER_REASON}, {@link CareTopics#HEADER_SOURCE_TOPIC},
 * {@link CareTopics#HEADER_SOURCE_PARTITION}, {@link CareTopics#HEADER_SOURCE_OFFSET}).
 *
 * <p>Bounded, so a dead letter can always be written (a record the pipeline cannot write would stop it):
 * keys over {@value #MAX_KEY_BYTES} bytes and values over {@value #MAX_VALUE_BYTES} bytes are cut to that size
 * and {@value #HEADER_TRUNCATED} says so ({@code key=<original bytes>,value=<original bytes>}); the original
 * record's own headers are kept only while they total at most {@value #MAX_KEPT_HEADER_BYTES} bytes.
 */
public final class DeadLetters {

    /** Longest reason text kept in a header. */
    static final int MAX_REASON = 2000;
    public static final int MAX_KEY_BYTES = 1024;
    public static final int MAX_VALUE_BYTES = 512 * 1024;
    public static final int MAX_KEPT_HEADER_BYTES = 8 * 1024;
    /** Header on a dead letter whose key or value was cut: their original sizes. */
    public static final String HEADER_TRUNCATED = "caretrail.truncated";

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

    /** Says in {@code headers} when {@code key} or {@code value} will be cut ({@link #bounded}). */
    public static Headers truncation(Headers headers, byte[] key, byte[] value) {
        boolean keyCut = key != null && key.length > MAX_KEY_BYTES;
        boolean valueCut = value != null && value.length > MAX_VALUE_BYTES;
        headers.remove(HEADER_TRUNCATED);
        if (keyCut || valueCut) {
            headers.add(HEADER_TRUNCATED, bytes("key=" + (key == null ? 0 : key.length) + ",value="
                    + (value == null ? 0 : value.length)));
        }
        return headers;
    }

    /** A dead letter's key: the original, cut to {@value #MAX_KEY_BYTES} bytes. */
    public static byte[] boundedKey(byte[] key) {
        return key == null || key.length <= MAX_KEY_BYTES ? key : Arrays.copyOf(key, MAX_KEY_BYTES);
    }

    /** A dead letter's value: the original, cut to {@value #MAX_VALUE_BYTES} bytes. */
    public static byte[] boundedValue(byte[] value) {
        return value == null || value.length <= MAX_VALUE_BYTES ? value : Arrays.copyOf(value, MAX_VALUE_BYTES);
    }

    /** A copy of a rejected record's own headers, or none when they total more than {@value #MAX_KEPT_HEADER_BYTES} bytes. */
    public static RecordHeaders keptHeaders(Headers original) {
        long size = 0;
        for (Header h : original) {
            size += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return size <= MAX_KEPT_HEADER_BYTES ? new RecordHeaders(original.toArray()) : new RecordHeaders();
    }

    public static ProducerRecord<byte[], byte[]> record(String deadLetterTopic, byte[] key, byte[] value,
            String reason, String topic, int partition, long offset) {
        Headers headers = headers(new RecordHeaders(), reason, topic, partition, offset);
        truncation(headers, key, value);
        return new ProducerRecord<>(deadLetterTopic, null, boundedKey(key), boundedValue(value), headers);
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
