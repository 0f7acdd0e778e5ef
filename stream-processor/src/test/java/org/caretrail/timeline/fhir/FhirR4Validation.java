package org.caretrail.timeline.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * HAPI FHIR's validator against the FHIR R4 core definitions (hapi-fhir-validation-resources-r4): an
 * error fails the test that asks, warnings are printed. One per test JVM (loading the definitions takes
 * seconds).
 *
 * <p>Two things the validator cannot check here are reported as warnings, not errors, because their
 * definitions are in FHIR packages that are not on Maven Central (so not on this machine): the Subscriptions
 * Backport IG's profiles named in {@code meta.profile} ({@code setErrorForUnknownProfiles(false)}), and
 * R5 cross-version extensions ({@code http://hl7.org/fhir/5.0/StructureDefinition/extension-...}, which the
 * IG prescribes for SubscriptionTopics in R4: the validator says "invalid Version '5.0'" without the
 * hl7.fhir.xver-extensions package). Everything else FHIR R4 says is checked.
 */
public final class FhirR4Validation {

    private static FhirValidator validator;

    private FhirR4Validation() {
    }

    private static synchronized FhirValidator validator() {
        if (validator == null) {
            FhirContext context = FhirContext.forR4();
            ValidationSupportChain chain = new ValidationSupportChain(new DefaultProfileValidationSupport(context),
                    new CommonCodeSystemsTerminologyService(context),
                    new InMemoryTerminologyServerValidationSupport(context),
                    new SnapshotGeneratingValidationSupport(context));
            FhirInstanceValidator instance = new FhirInstanceValidator(chain);
            instance.setErrorForUnknownProfiles(false);
            validator = context.newValidator().registerValidatorModule(instance);
        }
        return validator;
    }

    /** The errors (and fatal errors) FHIR R4 finds in {@code resource}; warnings are printed, not returned. */
    public static List<String> errors(IBaseResource resource) {
        ValidationResult result = validator().validateWithResult(resource);
        for (SingleValidationMessage m : result.getMessages()) {
            if (m.getSeverity() == ResultSeverityEnum.WARNING || crossVersionExtension(m)) {
                System.out.println("FHIR R4 warning on " + resource.fhirType() + " at " + m.getLocationString() + ": "
                        + m.getMessage());
            }
        }
        return result.getMessages().stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .filter(m -> !crossVersionExtension(m))
                .map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
    }

    /** The validator's refusal of an R5 cross-version extension URL it has no package for (see above). */
    private static boolean crossVersionExtension(SingleValidationMessage m) {
        return m.getMessage() != null && m.getMessage().startsWith(
                "Extension url 'http://hl7.org/fhir/5.0/StructureDefinition/extension-")
                && m.getMessage().endsWith("is not valid (invalid Version '5.0')");
    }
}
