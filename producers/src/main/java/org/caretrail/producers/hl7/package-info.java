/**
 * HL7v2 ADT over MLLP: {@link org.caretrail.producers.hl7.MllpAdapter} (the listener and its bounded
 * front door, port 2575 by default, start/close), {@link org.caretrail.producers.hl7.Hl7Processor}
 * (parse, recognise repeats, map, publish, acknowledge after Kafka),
 * {@link org.caretrail.producers.hl7.Hl7MessageLog} (the adapter's memory, in Kafka: messages
 * published and the last event per care item, shared by every instance and kept across restarts),
 * {@link org.caretrail.producers.hl7.AdtMapper} (what each trigger event becomes; the conformance
 * table is in producers/README.md), {@link org.caretrail.producers.hl7.Hl7Settings}, and
 * {@link org.caretrail.producers.hl7.AdtMessageBuilder} for senders written in Java (the simulator,
 * benchmarks, tests).
 *
 * <p>Acknowledgements: AA once every event of the message is acknowledged by Kafka (acks=all); AA
 * "duplicate" for a repeat (same MSH-4/MSH-3/MSH-10 and same content), not published again; AE for
 * invalid content with the reason in MSA-3 and ERR; AR for message types not handled, unparseable
 * messages, oversized frames, or Kafka not answering within the publish timeout (resend). Every AE
 * and AR message (but an oversized frame, which is not read) is first written to
 * {@code care.dead-letter} with its reason. Event ids are name-based on the message key, its
 * content hash and the item, so a resend gives the same event ids and the stream processor counts
 * them once.
 */
package org.caretrail.producers.hl7;
