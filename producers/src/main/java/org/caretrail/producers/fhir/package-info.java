/**
 * The FHIR R4 gateway: {@link org.caretrail.producers.fhir.FhirGateway}, a JDK
 * {@code HttpHandler} to mount at {@code /fhir/r4}; {@link org.caretrail.producers.fhir.FhirMapper}
 * (the mapping of Encounter, ServiceRequest, MedicationRequest, Appointment and Patient to care
 * events, documented there); {@link org.caretrail.producers.fhir.FhirSettings}.
 *
 * <p>Run the JDK HttpServer with {@code -Dsun.net.httpserver.nodelay=true} (or set the property
 * before the first server is created): without it small responses meet TCP delayed ACKs and each
 * request waits about 40 ms (measured here: 143 → 460 requests/s).
 */
package org.caretrail.producers.fhir;
