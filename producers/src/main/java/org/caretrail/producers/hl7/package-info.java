/**
 * HL7v2 ADT over MLLP: {@link org.caretrail.producers.hl7.MllpAdapter} (the listener, port 2575 by
 * default, start/close), {@link org.caretrail.producers.hl7.Hl7Processor} (parse, de-duplicate,
 * map, publish, acknowledge after Kafka), {@link org.caretrail.producers.hl7.AdtMapper} (the
 * mapping of each trigger event to care events, documented there),
 * {@link org.caretrail.producers.hl7.Hl7Settings}, and
 * {@link org.caretrail.producers.hl7.AdtMessageBuilder} for senders written in Java (the
 * simulator, benchmarks, tests).
 *
 * <p>Acknowledgements: AA once every event of the message is acknowledged by Kafka (acks=all); AE
 * for invalid content with the reason in MSA-3 and ERR; AR for message types not handled,
 * unparseable messages, or Kafka not answering within the publish timeout (resend). Every AE and
 * AR message is first written to {@code care.dead-letter} with its reason. A message whose
 * MSH-4/MSH-3/MSH-10 was published recently is answered AA without publishing again; event ids are
 * name-based on the same key, so even a resend after a restart gives the same eventIds and the
 * stream processor drops the duplicates.
 */
package org.caretrail.producers.hl7;
