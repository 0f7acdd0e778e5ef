package org.caretrail.timeline.fhir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.caretrail.events.fhir.FhirSystems;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.EpisodeOfCare;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * A search of the FHIR read API, read from its query parameters and checked: which patient, which
 * dates, which page. Only the parameters the CapabilityStatement lists are taken; any other is refused
 * (400), so a client never gets everything because CareTrail ignored a filter it did not know. Searches
 * are always for one patient ({@code patient}, or {@code identifier}/{@code _id} for Patient).
 *
 * <table>
 * <caption>Search parameters</caption>
 * <tr><th>resource</th><th>parameters</th></tr>
 * <tr><td>Patient</td><td>{@code identifier} ({@value FhirSystems#NHS_NUMBER}|NHS number, or the number
 *     alone), {@code _id}</td></tr>
 * <tr><td>Encounter</td><td>{@code patient} (or {@code subject}), {@code date} (the period)</td></tr>
 * <tr><td>EpisodeOfCare</td><td>{@code patient}, {@code date} (the period)</td></tr>
 * <tr><td>ServiceRequest</td><td>{@code patient} (or {@code subject}), {@code authored}</td></tr>
 * <tr><td>MedicationRequest</td><td>{@code patient} (or {@code subject}), {@code authoredon}</td></tr>
 * <tr><td>Appointment</td><td>{@code patient}, {@code date} (the start)</td></tr>
 * <tr><td>every one, and {@code Patient/{id}/$everything}</td><td>{@code _lastUpdated}, {@code _count}
 *     (default {@value #DEFAULT_COUNT}, at most {@value #MAX_COUNT}; 0 for the total only), {@code _page}
 *     (0-based; what the {@code next} and {@code previous} links carry), {@code _format}; $everything also
 *     {@code _type} (comma-separated resource types)</td></tr>
 * </table>
 *
 * @param patient the patient's NHS number as written (not yet checked), or null
 * @param dates the {@code date}/{@code authored}/{@code authoredon} values (all must match)
 * @param types for $everything: only these resource types (empty: all)
 */
public record FhirSearch(String type, String patient, List<DateParameter> dates, List<DateParameter> lastUpdated,
        int count, int page, Set<String> types, Map<String, List<String>> echoed) {

    public static final int DEFAULT_COUNT = 50;
    public static final int MAX_COUNT = 1000;
    /** Parameters every read takes (formatting, paging). */
    static final Set<String> COMMON = Collections.unmodifiableSet(new LinkedHashSet<>(List.of("_count", "_page",
            "_lastUpdated", "_format", "_pretty")));

    /** The date parameter of each resource type, if it has one. */
    static String dateParameter(String type) {
        return switch (type) {
            case "Encounter", "EpisodeOfCare", "Appointment" -> "date";
            case "ServiceRequest" -> "authored";
            case "MedicationRequest" -> "authoredon";
            default -> null;
        };
    }

    /** Every search parameter of {@code type} besides {@link #COMMON}. */
    static Set<String> parameters(String type) {
        Set<String> names = new LinkedHashSet<>();
        if (type.equals("Patient")) {
            names.add("identifier");
            names.add("_id");
        } else if (type.equals("$everything")) {
            names.add("_type");
        } else {
            names.add("patient");
            if (!type.equals("EpisodeOfCare") && !type.equals("Appointment")) {
                names.add("subject");
            }
            names.add(dateParameter(type));
        }
        return names;
    }

    /**
     * Reads the search of {@code type} (a resource type, or {@code $everything}) from {@code params};
     * throws IllegalArgumentException naming the parameter at fault.
     */
    public static FhirSearch parse(String type, Map<String, List<String>> params) {
        Set<String> allowed = new LinkedHashSet<>(COMMON);
        allowed.addAll(parameters(type));
        for (String name : params.keySet()) {
            String bare = name.contains(":") ? name.substring(0, name.indexOf(':')) : name;
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException(bare.equals(name) ? "search parameter '" + name
                        + "' is not supported for " + type + "; supported: " + String.join(", ", allowed)
                        : "modifier '" + name + "' is not supported; supported parameters: " + String.join(", ", allowed));
            }
        }
        String patient = null;
        for (String name : List.of("patient", "subject", "identifier", "_id")) {
            List<String> values = params.getOrDefault(name, List.of());
            if (values.size() > 1 || (patient != null && !values.isEmpty())) {
                throw new IllegalArgumentException("one patient per search: " + name + " is given more than once");
            }
            if (!values.isEmpty()) {
                patient = patientValue(name, values.get(0));
            }
        }
        List<DateParameter> dates = new ArrayList<>();
        String dateName = dateParameter(type);
        if (dateName != null) {
            params.getOrDefault(dateName, List.of()).forEach(v -> dates.add(DateParameter.parse(dateName, v)));
        }
        List<DateParameter> updated = new ArrayList<>();
        params.getOrDefault("_lastUpdated", List.of()).forEach(v -> updated.add(DateParameter.parse("_lastUpdated", v)));
        int count = number(params, "_count", DEFAULT_COUNT);
        if (count > MAX_COUNT) {
            throw new IllegalArgumentException("_count " + count + " is more than " + MAX_COUNT);
        }
        int page = number(params, "_page", 0);
        Set<String> types = new LinkedHashSet<>();
        for (String list : params.getOrDefault("_type", List.of())) {
            for (String t : list.split(",")) {
                if (!TimelineResources.TYPES.contains(t.trim())) {
                    throw new IllegalArgumentException("_type: '" + t.trim() + "' is not served; one of "
                            + String.join(", ", TimelineResources.TYPES));
                }
                types.add(t.trim());
            }
        }
        Map<String, List<String>> echoed = new LinkedHashMap<>(params);
        echoed.remove("_page");
        echoed.remove("_format");
        echoed.remove("_pretty");
        return new FhirSearch(type, patient, List.copyOf(dates), List.copyOf(updated), count, page, Set.copyOf(types),
                echoed);
    }

    /** The NHS number a {@code patient}, {@code subject}, {@code identifier} or {@code _id} value names. */
    private static String patientValue(String name, String value) {
        if (value.contains(",")) {
            throw new IllegalArgumentException(name + ": one patient per search, not a list");
        }
        if (name.equals("identifier")) {
            int bar = value.indexOf('|');
            if (bar >= 0) {
                String system = value.substring(0, bar);
                if (!system.isEmpty() && !system.equals(FhirSystems.NHS_NUMBER)) {
                    throw new IllegalArgumentException("identifier: only NHS numbers (" + FhirSystems.NHS_NUMBER
                            + "|...) are searched here, not " + system);
                }
                return value.substring(bar + 1);
            }
            return value;
        }
        String v = value;
        int patientAt = v.lastIndexOf("Patient/");
        if (patientAt >= 0) {
            v = v.substring(patientAt + "Patient/".length());
        } else if (v.contains("/")) {
            throw new IllegalArgumentException(name + ": '" + value + "' is not a Patient reference");
        }
        return v;
    }

    private static int number(Map<String, List<String>> params, String name, int fallback) {
        List<String> values = params.getOrDefault(name, List.of());
        if (values.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(values.get(values.size() - 1).trim());
            if (n < 0) {
                throw new IllegalArgumentException(name + " must not be negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + values.get(0) + "' is not a whole number");
        }
    }

    /** The resources that match, in the order given. */
    public List<Resource> filter(List<Resource> resources) {
        return resources.stream()
                .filter(r -> types.isEmpty() || types.contains(r.fhirType()))
                .filter(r -> lastUpdated.stream().allMatch(p -> p.matches(r.getMeta().getLastUpdated().toInstant())))
                .filter(r -> dates.stream().allMatch(p -> matches(p, r)))
                .toList();
    }

    private static boolean matches(DateParameter p, Resource r) {
        if (r instanceof Encounter e) {
            return matches(p, e.getPeriod());
        }
        if (r instanceof EpisodeOfCare e) {
            return matches(p, e.getPeriod());
        }
        if (r instanceof Appointment a) {
            return a.hasStart() && p.matches(a.getStart().toInstant(), a.hasEnd() ? a.getEnd().toInstant() : null);
        }
        if (r instanceof ServiceRequest s) {
            return s.hasAuthoredOn() && p.matches(s.getAuthoredOn().toInstant());
        }
        if (r instanceof MedicationRequest m) {
            return m.hasAuthoredOn() && p.matches(m.getAuthoredOn().toInstant());
        }
        return true;
    }

    private static boolean matches(DateParameter p, Period period) {
        Instant start = period.hasStart() ? period.getStart().toInstant() : null;
        Instant end = period.hasEnd() ? period.getEnd().toInstant() : null;
        return p.matches(start, end);
    }

    /** The query string of this search at page {@code n}: what the Bundle's links carry. */
    public String queryForPage(int n) {
        StringBuilder q = new StringBuilder();
        echoed.forEach((name, values) -> values.forEach(v -> q.append(q.isEmpty() ? "" : "&")
                .append(encode(name)).append('=').append(encode(v))));
        q.append(q.isEmpty() ? "" : "&").append("_page=").append(n);
        return q.toString();
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("%7C", "|").replace("%2F", "/")
                .replace("%3A", ":").replace("%2C", ",");
    }

    /** Lower-cased {@code _format}, or null. */
    static String format(Map<String, List<String>> params) {
        List<String> values = params.getOrDefault("_format", List.of());
        return values.isEmpty() ? null : values.get(0).toLowerCase(Locale.ROOT);
    }
}
