package org.caretrail.producers.simulator;

import java.time.LocalDate;
import org.caretrail.events.NhsNumber;

/**
 * One member of the synthetic population. Everything is made up: the NHS number is from the 999
 * test range with a valid Modulus 11 check digit, names come from short lists, postcodes use the
 * unused area letters {@code QX}.
 */
public record SyntheticPatient(int index, NhsNumber nhsNumber, String givenName, String familyName,
                               LocalDate birthDate, String postcode, CareProvider practice) {
}
