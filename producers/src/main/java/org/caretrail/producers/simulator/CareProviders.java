package org.caretrail.producers.simulator;

import java.util.List;
import java.util.Map;
import org.caretrail.events.model.ProviderKind;

/**
 * The fictional health and care economy the simulator runs in ("Shire"): GP practices, two acute
 * trusts, an ambulance trust, a community trust, a mental health trust, two councils' adult social
 * care and community pharmacies. ODS codes follow the real shapes (trusts three characters starting
 * with R, sites five, GP practices a letter and five digits, pharmacies F and four) but use a
 * {@code 9} where no real organisation is known to, so they are recognisably synthetic.
 */
public final class CareProviders {

    public static final List<CareProvider> GP_PRACTICES = List.of(
            new CareProvider("P99001", "Riverside Medical Practice", ProviderKind.GP, "gp-clinical-system", null),
            new CareProvider("P99002", "Castle Street Surgery", ProviderKind.GP, "gp-clinical-system", null),
            new CareProvider("P99003", "Meadowbank Health Centre", ProviderKind.GP, "gp-clinical-system", null),
            new CareProvider("P99004", "Old Mill Family Practice", ProviderKind.GP, "gp-clinical-system", null),
            new CareProvider("P99005", "Harbourside Group Practice", ProviderKind.GP, "gp-clinical-system", null),
            new CareProvider("P99006", "Orchard Lane Surgery", ProviderKind.GP, "gp-clinical-system", null));

    public static final List<CareProvider> ACUTE_TRUSTS = List.of(
            new CareProvider("R9A", "Northgate Hospitals NHS Foundation Trust", ProviderKind.ACUTE, "northgate-epr",
                    "R9A-MRN"),
            new CareProvider("R9B", "Eastbrook University Hospitals NHS Trust", ProviderKind.ACUTE, "eastbrook-pas",
                    "R9B-MRN"));

    /** Hospital sites per acute trust (site ODS codes are the trust code plus two digits). */
    public static final Map<String, List<String>> SITES = Map.of(
            "R9A", List.of("R9A01", "R9A02"),
            "R9B", List.of("R9B01"));

    public static final CareProvider AMBULANCE = new CareProvider("R9M", "Shire Ambulance Service NHS Trust",
            ProviderKind.AMBULANCE, "ambulance-epcr", null);

    public static final CareProvider COMMUNITY = new CareProvider("R9C", "Shire Community Health NHS Trust",
            ProviderKind.COMMUNITY, "community-ehr", "R9C-PID");

    public static final CareProvider MENTAL_HEALTH = new CareProvider("R9H",
            "Shire Partnership NHS Foundation Trust", ProviderKind.MENTAL_HEALTH, "mh-ehr", "R9H-PID");

    public static final List<CareProvider> COUNCILS = List.of(
            new CareProvider("LA901", "Shire County Council Adult Social Care", ProviderKind.SOCIAL_CARE,
                    "social-care-case-system", "LA901-CASE"),
            new CareProvider("LA902", "Northgate City Council Adult Social Care", ProviderKind.SOCIAL_CARE,
                    "social-care-case-system", "LA902-CASE"));

    public static final List<CareProvider> PHARMACIES = List.of(
            new CareProvider("F9A01", "Market Street Pharmacy", ProviderKind.PHARMACY, "pharmacy-pmr", null),
            new CareProvider("F9A02", "Station Road Chemist", ProviderKind.PHARMACY, "pharmacy-pmr", null),
            new CareProvider("F9A03", "Northgate Late-Night Pharmacy", ProviderKind.PHARMACY, "pharmacy-pmr", null));

    private CareProviders() {
    }

    /** Every organisation in the simulated economy. */
    public static List<CareProvider> all() {
        List<CareProvider> all = new java.util.ArrayList<>(GP_PRACTICES);
        all.addAll(ACUTE_TRUSTS);
        all.add(AMBULANCE);
        all.add(COMMUNITY);
        all.add(MENTAL_HEALTH);
        all.addAll(COUNCILS);
        all.addAll(PHARMACIES);
        return List.copyOf(all);
    }
}
