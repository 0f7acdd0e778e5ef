package org.caretrail.events;

import java.util.Arrays;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.AmbulanceConveyance;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Consent;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.GpRegistration;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.SocialCareEvent;
import org.caretrail.events.model.Transfer;

/**
 * Every kind of input event CareTrail accepts: its name in the JSON form, its topic and its Avro
 * class. Timeline event kinds also name their {@link EventType}; identity and consent events feed
 * the timeline indirectly and have none.
 */
public enum CareEventType {
    ADMISSION("admission", "care.admissions", Admission.class, EventType.ADMISSION),
    TRANSFER("transfer", "care.transfers", Transfer.class, EventType.TRANSFER),
    DISCHARGE("discharge", "care.discharges", Discharge.class, EventType.DISCHARGE),
    ATTENDANCE("attendance", "care.attendances", Attendance.class, EventType.ATTENDANCE),
    REFERRAL("referral", "care.referrals", Referral.class, EventType.REFERRAL),
    PRESCRIPTION("prescription", "care.prescriptions", Prescription.class, EventType.PRESCRIPTION),
    APPOINTMENT("appointment", "care.appointments", Appointment.class, EventType.APPOINTMENT),
    AMBULANCE_CONVEYANCE("ambulance-conveyance", "care.ambulance-conveyances", AmbulanceConveyance.class,
            EventType.AMBULANCE_CONVEYANCE),
    SOCIAL_CARE("social-care", "care.social-care", SocialCareEvent.class, EventType.SOCIAL_CARE),
    GP_REGISTRATION("gp-registration", "care.registrations", GpRegistration.class, EventType.GP_REGISTRATION),
    DEATH("death", "care.deaths", Death.class, EventType.DEATH),
    PATIENT_IDENTITY("patient-identity", "care.patient-identities", PatientIdentity.class, null),
    CONSENT("consent", "care.consents", Consent.class, null);

    static {
        org.caretrail.events.AvroTrust.install();
    }

    private final String jsonName;
    private final String topic;
    private final Class<? extends SpecificRecord> recordClass;
    private final EventType timelineType;

    CareEventType(String jsonName, String topic, Class<? extends SpecificRecord> recordClass, EventType timelineType) {
        this.jsonName = jsonName;
        this.topic = topic;
        this.recordClass = recordClass;
        this.timelineType = timelineType;
    }

    /** The value of {@code "type"} in the JSON form, e.g. {@code "admission"}. */
    public String jsonName() {
        return jsonName;
    }

    public String topic() {
        return topic;
    }

    public Class<? extends SpecificRecord> recordClass() {
        return recordClass;
    }

    public Schema schema() {
        return SpecificData.get().getSchema(recordClass);
    }

    /** The timeline entry type, empty for identity and consent events. */
    public Optional<EventType> timelineType() {
        return Optional.ofNullable(timelineType);
    }

    public static Optional<CareEventType> byJsonName(String name) {
        return Arrays.stream(values()).filter(t -> t.jsonName.equals(name)).findFirst();
    }

    public static Optional<CareEventType> byTopic(String topic) {
        return Arrays.stream(values()).filter(t -> t.topic.equals(topic)).findFirst();
    }

    public static CareEventType of(SpecificRecord record) {
        return Arrays.stream(values())
                .filter(t -> t.recordClass.isInstance(record))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not a care event: " + record.getClass().getName()));
    }

    public static CareEventType of(EventType type) {
        return Arrays.stream(values())
                .filter(t -> t.timelineType == type)
                .findFirst()
                .orElseThrow();
    }

    /** The JSON names, for help texts and error messages. */
    public static String jsonNames() {
        return String.join(", ", Arrays.stream(values()).map(CareEventType::jsonName).toList());
    }
}
