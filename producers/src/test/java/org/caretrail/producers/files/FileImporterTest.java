package org.caretrail.producers.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.CareEventType;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.SocialCareEvent;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.TestPublishers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileImporterTest {

    static final String ADMISSION_HEADER = "nhsNumber,localIdSystem,localIdValue,odsCode,sourceName,providerKind,"
            + "subjectId,occurredAt,ward,specialty,admissionMethod,consultant";

    @TempDir
    Path dir;

    private final MockProducer<String, byte[]> producer = TestPublishers.autoCompleting();
    private final CarePublisher publisher = TestPublishers.over(producer);

    @Test
    void importsACsvOfAdmissionsAndNamesEveryRejectedLine() throws IOException {
        Path csv = write("admissions.csv",
                ADMISSION_HEADER,
                "9912003888,R9A-MRN,40000001,R9A,Northgate Hospitals,ACUTE,SPELL-1,2026-11-20T09:15:00Z,AMU,"
                        + "General medicine,EMERGENCY,Dr R Okafor",
                "9409401122,,,R9A,,ACUTE,SPELL-2,2026-11-20T10:00:00Z,AMU,,EMERGENCY,",
                ",R9A-MRN,40000003,R9A,,acute,SPELL-3,20/11/2026 11:30,\"Ward 7, Respiratory\",,EMERGENCY,",
                "",
                "9912003888,,,R9A,,ACUTE,SPELL-4,yesterday,AMU,,EMERGENCY,",
                "9912003888,,,R9A,,ACUTE,SPELL-5",
                "9912003888,,,R9A,,ACUTE,,2026-11-20T12:00:00Z,AMU,,EMERGENCY,",
                "9912003888,,,R9A,,ACUTE,SPELL-7,2026-11-20T12:30:00+00:00,\"Discharge\nLounge\",,ELECTIVE,",
                "9912003888,R9A-MRN,,R9A,,ACUTE,SPELL-8,2026-11-20T13:00:00Z,AMU,,EMERGENCY,");
        List<ImportProgress> progress = new ArrayList<>();
        ImportResult result = FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.ADMISSION),
                publisher, progress::add);

        assertThat(result.rows()).isEqualTo(8);
        assertThat(result.accepted()).isEqualTo(3);
        assertThat(result.rejected()).isEqualTo(5);
        assertThat(result.rejectedRows()).extracting(RejectedRow::line).containsExactly(3L, 6L, 7L, 8L, 11L);
        assertThat(result.rejectedRows().get(0).reason()).contains("nhsNumber").contains("Modulus 11");
        assertThat(result.rejectedRows().get(1).reason()).contains("occurredAt").contains("yesterday");
        assertThat(result.rejectedRows().get(2).reason()).contains("has 7 fields; the header has 12");
        assertThat(result.rejectedRows().get(3).reason()).contains("subjectId is empty");
        assertThat(result.rejectedRows().get(4).reason()).contains("localIdValue is empty");

        List<Admission> published = producer.history().stream().map(r -> (Admission) decode(r)).toList();
        assertThat(published).extracting(a -> a.getHeader().getSubjectId())
                .containsExactly("SPELL-1", "SPELL-3", "SPELL-7");
        assertThat(producer.history()).extracting(ProducerRecord::key)
                .containsExactly("9912003888", "R9A-MRN|40000003", "9912003888");
        Admission local = published.get(1);
        assertThat(local.getWard()).isEqualTo("Ward 7, Respiratory");
        assertThat(local.getHeader().getOccurredAt()).isEqualTo(Instant.parse("2026-11-20T11:30:00Z"));
        assertThat(local.getHeader().getRecordedAt()).isEqualTo(local.getHeader().getOccurredAt());
        assertThat(published.get(2).getWard()).isEqualTo("Discharge\nLounge");

        Path rejected = dir.resolve("admissions.rejected.csv");
        assertThat(result.rejectedFile()).contains(rejected);
        List<String> lines = Files.readAllLines(rejected);
        assertThat(lines.get(0)).isEqualTo(ADMISSION_HEADER + ",rejectedLine,rejectionReason");
        assertThat(lines).hasSize(6);
        assertThat(lines.get(1)).startsWith("9409401122,").contains(",3,");
        assertThat(progress).last().satisfies(p -> {
            assertThat(p.finished()).isTrue();
            assertThat(p.bytesRead()).isEqualTo(Files.size(csv));
            assertThat(p.fraction()).isEqualTo(1.0);
        });
    }

    @Test
    void aCorrectedRejectedFileImportsAsItIs() throws IOException {
        Path csv = write("admissions.csv", ADMISSION_HEADER,
                "9912003889,,,R9A,,ACUTE,SPELL-1,2026-11-20T09:15:00Z,AMU,,EMERGENCY,");
        ImportResult first = FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.ADMISSION),
                publisher, null);
        assertThat(first.rejected()).isEqualTo(1);
        Path rejected = first.rejectedFile().orElseThrow();
        Files.writeString(rejected, Files.readString(rejected).replace("9912003889", "9912003888"));
        ImportResult second = FileImporter.importFile(rejected, ImportFormat.CSV,
                Optional.of(CareEventType.ADMISSION), publisher, null);
        assertThat(second.accepted()).isEqualTo(1);
        assertThat(second.rejected()).isZero();
    }

    @Test
    void reimportingAFileWithoutEventIdsGivesTheSameEventIds() throws IOException {
        Path csv = write("social.csv", "nhsNumber,odsCode,providerKind,subjectId,occurredAt,kind,description,"
                        + "hoursPerWeek",
                "9912003888,LA901,SOCIAL_CARE,PKG-1,2026-11-01T10:00:00Z,PACKAGE_START,Home care,14",
                "9912003888,LA901,SOCIAL_CARE,PKG-1,2026-11-01T10:00:00Z,PACKAGE_START,Home care,fourteen");
        ImportResult first = FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.SOCIAL_CARE),
                publisher, null);
        FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.SOCIAL_CARE), publisher, null);
        assertThat(first.accepted()).isEqualTo(1);
        assertThat(first.rejectedRows()).singleElement().satisfies(r -> {
            assertThat(r.line()).isEqualTo(3);
            assertThat(r.reason()).contains("hoursPerWeek").contains("fourteen");
        });
        List<SocialCareEvent> sent = producer.history().stream().map(r -> (SocialCareEvent) decode(r)).toList();
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0).getHeader().getEventId()).isEqualTo(sent.get(1).getHeader().getEventId());
        assertThat(sent.get(0).getHoursPerWeek()).isEqualTo(14.0);
    }

    @Test
    void patientIdentityRowsShareThePatientColumns() throws IOException {
        Path csv = write("links.csv", "kind,nhsNumber,localIdSystem,localIdValue,odsCode,providerKind,subjectId,"
                        + "occurredAt,familyName,givenName,birthDate,postcode",
                "LINK,9912003888,R9A-MRN,40000003,R9A,ACUTE,LINK-40000003,2026-11-20T15:00:00Z,Walker,Tomasz,"
                        + "03/09/1934,QX2 9YW");
        ImportResult result = FileImporter.importFile(csv, ImportFormat.CSV,
                Optional.of(CareEventType.PATIENT_IDENTITY), publisher, null);
        assertThat(result.allAccepted()).isTrue();
        PatientIdentity link = (PatientIdentity) decode(producer.history().get(0));
        assertThat(link.getKind()).isEqualTo(IdentityKind.LINK);
        assertThat(link.getNhsNumber()).isEqualTo("9912003888");
        assertThat(link.getLocalId().getValue()).isEqualTo("40000003");
        assertThat(link.getHeader().getPatient().getLocalId().getSystem()).isEqualTo("R9A-MRN");
        assertThat(link.getBirthDate()).hasToString("1934-09-03");
    }

    @Test
    void aBadCsvHeaderStopsTheImportBeforeAnythingIsPublished() throws IOException {
        Path unknown = write("a.csv", ADMISSION_HEADER + ",bedNumber", "");
        assertThatThrownBy(() -> FileImporter.importFile(unknown, ImportFormat.CSV,
                Optional.of(CareEventType.ADMISSION), publisher, null))
                .isInstanceOf(FileImportException.class).hasMessageContaining("unknown column 'bedNumber'")
                .hasMessageContaining("line 1");
        Path missing = write("b.csv", "nhsNumber,odsCode,providerKind,subjectId", "");
        assertThatThrownBy(() -> FileImporter.importFile(missing, ImportFormat.CSV,
                Optional.of(CareEventType.PRESCRIPTION), publisher, null))
                .isInstanceOf(FileImportException.class).hasMessageContaining("occurredAt")
                .hasMessageContaining("medication");
        assertThatThrownBy(() -> FileImporter.importFile(missing, ImportFormat.CSV, Optional.empty(), publisher,
                null)).isInstanceOf(FileImportException.class).hasMessageContaining("--kind");
        assertThatThrownBy(() -> FileImporter.importFile(dir.resolve("nope.csv"), ImportFormat.CSV,
                Optional.of(CareEventType.ADMISSION), publisher, null))
                .isInstanceOf(FileImportException.class).hasMessageContaining("no such file");
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void importsJsonLinesAndWritesRejectedLinesWithTheirReasons() throws IOException {
        Clock clock = Clock.fixed(Instant.now(), ZoneOffset.UTC);
        List<String> good = new PopulationSimulator(9, 5, clock).events().map(CareEventJson::toEventJsonLine).toList();
        List<String> lines = new ArrayList<>(good);
        lines.add(2, "{not json");
        lines.add(4, "{\"type\":\"bed-move\"}");
        lines.add(6, good.get(0).replaceFirst("\"nhsNumber\":\"999\\d{7}\"", "\"nhsNumber\":\"9999999990\""));
        lines.add(7, "   ");
        Path jsonl = write("events.jsonl", lines.toArray(String[]::new));

        ImportResult result = FileImporter.importFile(jsonl, ImportFormat.JSON_LINES, Optional.empty(), publisher,
                null);
        assertThat(result.rows()).isEqualTo(good.size() + 3);
        assertThat(result.accepted()).isEqualTo(good.size());
        assertThat(result.rejectedRows()).extracting(RejectedRow::line).containsExactly(3L, 5L, 7L);
        assertThat(result.rejectedRows().get(0).reason()).contains("not JSON");
        assertThat(result.rejectedRows().get(1).reason()).contains("unknown type 'bed-move'");
        assertThat(result.rejectedRows().get(2).reason()).contains("nhsNumber");
        List<String> rejected = Files.readAllLines(dir.resolve("events.rejected.jsonl"));
        assertThat(rejected).hasSize(3);
        JsonNode first = CareEventJson.mapper().readTree(rejected.get(0));
        assertThat(first.get("line").asLong()).isEqualTo(3);
        assertThat(first.get("input").asText()).isEqualTo("{not json");
        assertThat(first.get("reason").asText()).contains("not JSON");
        assertThat(producer.history()).hasSize(good.size());
    }

    @Test
    void readsJsonLinesFromAStreamSuchAsStandardInput() {
        Clock clock = Clock.fixed(Instant.now(), ZoneOffset.UTC);
        String input = new PopulationSimulator(9, 3, clock).events().map(CareEventJson::toEventJsonLine)
                .reduce("", (a, b) -> a + b + "\n") + "{\"type\":\"admission\"}\n";
        ImportResult result = new FileImporter(publisher).importStream(
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), "-", -1, ImportFormat.JSON_LINES,
                Optional.empty(), Optional.empty(), null);
        assertThat(result.rejected()).isEqualTo(1);
        assertThat(result.rejectedRows().get(0).reason()).contains("header");
        assertThat(result.rejectedFile()).isEmpty();
        assertThat(result.accepted()).isEqualTo(result.rows() - 1).isPositive();
    }

    @Test
    void aFailedPublishIsReportedAgainstItsLine() throws IOException {
        MockProducer<String, byte[]> flaky = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
                if (record.key().equals("9990000018")) {
                    TimeoutException error = new TimeoutException("Expiring 1 record(s) for care.admissions-0");
                    callback.onCompletion(null, error);
                    return CompletableFuture.failedFuture(error);
                }
                return super.send(record, callback);
            }
        };
        CarePublisher flakyPublisher = new CarePublisher(flaky, new Topics(new InMemorySchemaRegistry()),
                new org.caretrail.events.CareEventValidator());
        Path csv = write("admissions.csv", ADMISSION_HEADER,
                "9912003888,,,R9A,,ACUTE,SPELL-1,2026-11-20T09:15:00Z,AMU,,EMERGENCY,",
                "9990000018,,,R9A,,ACUTE,SPELL-2,2026-11-20T09:15:00Z,AMU,,EMERGENCY,");
        ImportResult result = FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.ADMISSION),
                flakyPublisher, null);
        assertThat(result.accepted()).isEqualTo(1);
        assertThat(result.rejectedRows()).singleElement().satisfies(r -> {
            assertThat(r.line()).isEqualTo(3);
            assertThat(r.reason()).startsWith("not published: ").contains("Expiring");
        });
    }

    @Test
    void anNhsNumberInAnyAcceptedSpellingIsPublishedAndKeyedInItsOneCanonicalForm() throws IOException {
        Path csv = write("admissions.csv", "nhsNumber,odsCode,providerKind,subjectId,occurredAt",
                "999-000-1006,R9A,ACUTE,SPELL-H,2026-11-20T09:15:00Z",
                "999 000 1006,R9A,ACUTE,SPELL-S,2026-11-20T09:16:00Z",
                "\"\t9990001006 \",R9A,ACUTE,SPELL-T,2026-11-20T09:17:00Z",
                "999+000+1006,R9A,ACUTE,SPELL-P,2026-11-20T09:18:00Z");
        ImportResult result = FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.ADMISSION),
                publisher, null);

        assertThat(result.accepted()).isEqualTo(3);
        assertThat(result.rejectedRows()).singleElement().satisfies(r -> {
            assertThat(r.line()).isEqualTo(5);
            assertThat(r.reason()).contains("999+000+1006").contains("must be 10 digits");
        });
        assertThat(producer.history()).extracting(ProducerRecord::key).containsOnly("9990001006");
        assertThat(producer.history()).extracting(r -> ((Admission) decode(r)).getHeader().getPatient().getNhsNumber())
                .containsOnly("9990001006");
    }

    @Test
    void theSensitivityColumnMarksARowRestrictedAndAnUnknownValueIsRejectedByName() throws IOException {
        Path csv = write("mh.csv", "nhsNumber,odsCode,providerKind,subjectId,occurredAt,sensitivity",
                "9912003888,R9H,MENTAL_HEALTH,MH-1,2026-11-20T09:15:00Z,RESTRICTED",
                "9912003888,R9H,MENTAL_HEALTH,MH-2,2026-11-20T09:15:00Z,restricted",
                "9912003888,R9H,MENTAL_HEALTH,MH-3,2026-11-20T09:15:00Z,",
                "9912003888,R9H,MENTAL_HEALTH,MH-4,2026-11-20T09:15:00Z,NORMAL",
                "9912003888,R9H,MENTAL_HEALTH,MH-5,2026-11-20T09:15:00Z,SECRET");
        ImportResult result = FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.ADMISSION),
                publisher, null);

        assertThat(producer.history()).extracting(r -> ((Admission) decode(r)).getHeader().getSubjectId() + " "
                + ((Admission) decode(r)).getHeader().getSensitivity())
                .containsExactly("MH-1 RESTRICTED", "MH-2 RESTRICTED", "MH-3 NORMAL", "MH-4 NORMAL");
        assertThat(result.rejectedRows()).singleElement().satisfies(r -> {
            assertThat(r.line()).isEqualTo(6);
            assertThat(r.reason()).contains("sensitivity").contains("SECRET");
        });
    }

    @Test
    void aJsonLineMarkedRestrictedIsPublishedRestricted() throws IOException {
        SpecificRecord event = new PopulationSimulator(8, 5, Clock.systemUTC()).events().findFirst().orElseThrow();
        JsonNode json = CareEventJson.mapper().readTree(CareEventJson.toEventJsonLine(event));
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("header")).put("sensitivity", "RESTRICTED");
        Path file = write("restricted.jsonl", json.toString());

        ImportResult result = FileImporter.importFile(file, ImportFormat.JSON_LINES, Optional.empty(), publisher, null);

        assertThat(result.accepted()).isEqualTo(1);
        assertThat(org.caretrail.events.CareEvents.header(decode(producer.history().get(0))).getSensitivity())
                .isEqualTo(org.caretrail.events.model.Sensitivity.RESTRICTED);
    }

    @Test
    void codedAndPlacedColumnsFillTheContractsCodingAndLocationFields() throws IOException {
        Path csv = write("coded.csv", "nhsNumber,odsCode,providerKind,subjectId,occurredAt,ward,location.pointOfCare,"
                        + "location.room,location.bed,location.site,admissionMethodCode.system,admissionMethodCode.code,"
                        + "diagnoses,patientClass",
                "9912003888,R9A,ACUTE,SPELL-C,2026-11-20T09:15:00Z,Ward 7,Ward 7,Bay B,Bed 3,R9A01,"
                        + "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland,21,"
                        + "http://snomed.info/sct|22298006|Myocardial infarction;http://hl7.org/fhir/sid/icd-10|I21.9,"
                        + "INPATIENT");
        ImportResult result = FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.ADMISSION),
                publisher, null);

        assertThat(result.rejectedRows()).isEmpty();
        Admission a = (Admission) decode(producer.history().get(0));
        assertThat(a.getLocation().getBed()).isEqualTo("Bed 3");
        assertThat(a.getLocation().getRoom()).isEqualTo("Bay B");
        assertThat(a.getLocation().getSite()).isEqualTo("R9A01");
        assertThat(a.getAdmissionMethodCode().getCode()).isEqualTo("21");
        assertThat(a.getDiagnoses()).extracting(c -> c.getCode() + " " + c.getDisplay())
                .containsExactly("22298006 Myocardial infarction", "I21.9 null");
        assertThat(FileImporter.csvColumns(CareEventType.ADMISSION)).contains("supersedes", "location.bed",
                "admissionMethodCode.code", "treatmentFunctionCode.system", "diagnoses").doesNotContain("location");
    }

    @Test
    void theCsvLayoutIsDocumentedPerKind() {
        assertThat(FileImporter.csvColumns(CareEventType.TRANSFER)).startsWith("eventId", "action", "subjectId")
                .contains("spellId", "fromWard", "toWard", "toSite", "nhsNumber", "localIdSystem");
        assertThat(FileImporter.requiredCsvColumns(CareEventType.TRANSFER)).contains("spellId", "occurredAt");
        assertThat(FileImporter.csvColumns(CareEventType.PATIENT_IDENTITY)).doesNotHaveDuplicates()
                .doesNotContain("localId");
        assertThat(FileImporter.rejectedFileFor(Path.of("/data/in/packages.csv"), ImportFormat.CSV))
                .isEqualTo(Path.of("/data/in/packages.rejected.csv"));
        assertThat(ImportFormat.forPath(Path.of("x.ndjson"))).contains(ImportFormat.JSON_LINES);
    }

    private SpecificRecord decode(ProducerRecord<String, byte[]> record) {
        return publisher.topics().events(CareEventType.byTopic(record.topic()).orElseThrow()).valueSerde()
                .deserializer().deserialize(record.topic(), record.value());
    }

    private Path write(String name, String... lines) throws IOException {
        Path file = dir.resolve(name);
        try (Writer w = Files.newBufferedWriter(file)) {
            for (String line : lines) {
                w.write(line);
                w.write('\n');
            }
        }
        return file;
    }
}
