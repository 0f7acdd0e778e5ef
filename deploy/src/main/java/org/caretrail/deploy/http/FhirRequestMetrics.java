package org.caretrail.deploy.http;

import com.sun.net.httpserver.HttpHandler;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashSet;
import java.util.Set;
import org.caretrail.events.metrics.CareMetrics;
import org.hl7.fhir.r4.model.CapabilityStatement;

/**
 * Counts every request to the FHIR R4 server on {@link CareMetrics#FHIR_REQUESTS}, by resource type,
 * method and status class, refused ones (401, 403, 413 ...) included: mounted outside the access guard.
 *
 * <p>The resource label is the first path segment after {@code /fhir/r4} when it is a type the
 * CapabilityStatement lists (or {@code metadata}); {@code system} for the server's own root (a
 * transaction or batch Bundle); anything else, including an id or a typo a caller chose, is
 * {@link CareMetrics#OTHER}. So a caller cannot create series at will, and a path that names a patient
 * never becomes a label.
 */
public final class FhirRequestMetrics {

    private final MeterRegistry registry;
    private final Set<String> resources;

    /** @param capabilities what the server serves: its resource types are the label's values */
    public FhirRequestMetrics(MeterRegistry registry, CapabilityStatement capabilities) {
        this.registry = registry;
        Set<String> known = new HashSet<>(Set.of("metadata"));
        capabilities.getRest().forEach(rest -> rest.getResource().forEach(r -> known.add(r.getType())));
        this.resources = Set.copyOf(known);
    }

    /** {@code handler}, counted: put it outermost, so refusals by the guards in front of the handler count too. */
    public HttpHandler around(HttpHandler handler) {
        return exchange -> {
            try {
                handler.handle(exchange);
            } finally {
                int status = exchange.getResponseCode();
                registry.counter(CareMetrics.FHIR_REQUESTS,
                        CareMetrics.RESOURCE, resource(exchange.getRequestURI().getPath()),
                        CareMetrics.METHOD, CareMetrics.method(exchange.getRequestMethod()),
                        CareMetrics.STATUS, CareMetrics.statusClass(status)).increment();
            }
        };
    }

    /** The resource label of a request path under {@link FhirR4Routes#PATH}. */
    String resource(String path) {
        String rest = path == null || !path.startsWith(FhirR4Routes.PATH) ? null
                : path.substring(FhirR4Routes.PATH.length());
        if (rest == null) {
            return CareMetrics.OTHER;
        }
        if (rest.isEmpty() || rest.equals("/")) {
            return "system";
        }
        if (!rest.startsWith("/")) {
            return CareMetrics.OTHER;
        }
        int end = rest.indexOf('/', 1);
        return CareMetrics.oneOf(end < 0 ? rest.substring(1) : rest.substring(1, end), resources);
    }
}
