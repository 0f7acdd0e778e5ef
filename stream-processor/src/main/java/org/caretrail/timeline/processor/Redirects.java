package org.caretrail.timeline.processor;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.caretrail.events.model.TimelineEntry;

/**
 * Where entries published for one NHS number go instead of its own timeline (value of
 * {@link TimelineStores#MERGED_INTO}, keyed by that number):
 * <ul>
 *   <li>{@code survivor}: the whole identity was merged (HL7 A40, A34/A36; SUPERSEDE) into this NHS number;
 *       {@code cause} is the eventId of the merge that stands;
 *   <li>{@code visits}: single visits moved to another patient (HL7 A44 move account, A45 move visit): the
 *       items of one visit ({@code subjectId} = the visit or starts with it + "/", same ODS code) go there.
 * </ul>
 * A visit move is more specific than a whole merge and is applied first.
 *
 * @param survivor the NHS number the whole identity was merged into, or null
 * @param cause the eventId of the standing merge, or null
 * @param visits single-visit moves
 */
public record Redirects(String survivor, String cause, List<VisitMove> visits) {

    /** Visit moves kept per patient at most (the oldest beyond it are forgotten). */
    public static final int MAX_VISIT_MOVES = 256;

    /** No redirect. */
    public static final Redirects NONE = new Redirects(null, null, List.of());

    public Redirects {
        visits = List.copyOf(visits);
    }

    /**
     * One visit moved to another patient.
     *
     * @param odsCode the organisation whose visit it is (the moving identity event's source)
     * @param visit the visit's id (a spell's subjectId)
     * @param survivor where its items go
     * @param cause the eventId of the identity event that moved it
     */
    public record VisitMove(String odsCode, String visit, String survivor, String cause) {
        /** True for the items of this visit: subjectId equal to it or below it ({@code visit/...}). */
        public boolean covers(TimelineEntry e) {
            return e.getSource().getOdsCode().equals(odsCode)
                    && (e.getSubjectId().equals(visit) || e.getSubjectId().startsWith(visit + "/"));
        }
    }

    /** Where an entry goes and why (the eventId of the identity event); empty: it stays. */
    public record Target(String nhsNumber, String cause) {
    }

    /** Where {@code entry} goes, if anywhere: a visit move that covers it, else the whole-identity survivor. */
    public Optional<Target> target(TimelineEntry entry) {
        for (VisitMove v : visits) {
            if (v.covers(entry)) {
                return Optional.of(new Target(v.survivor(), v.cause()));
            }
        }
        return survivor == null ? Optional.empty() : Optional.of(new Target(survivor, cause));
    }

    public Redirects withSurvivor(String nhs, String why) {
        return new Redirects(nhs, why, visits);
    }

    public Redirects withoutSurvivor() {
        return new Redirects(null, null, visits);
    }

    /**
     * With one more visit move; {@code this} when one with the same cause is known already. At most
     * {@value #MAX_VISIT_MOVES} are kept (the oldest go first), so the value stays small whatever a sender does.
     */
    public Redirects withVisit(VisitMove move) {
        if (visits.stream().anyMatch(v -> v.cause().equals(move.cause()))) {
            return this;
        }
        List<VisitMove> more = new ArrayList<>(visits);
        more.add(move);
        if (more.size() > MAX_VISIT_MOVES) {
            more.remove(0);
        }
        return new Redirects(survivor, cause, more);
    }

    public boolean isEmpty() {
        return survivor == null && visits.isEmpty();
    }

    /**
     * Binary form: format byte 1, survivor and cause (empty text for none), the number of visit moves and
     * each one's four texts. Also reads the first form: the survivor's NHS number as plain text.
     */
    public static final class RedirectsSerde implements Serde<Redirects>, Serializer<Redirects>,
            Deserializer<Redirects> {
        private static final byte FORMAT = 1;

        @Override
        public byte[] serialize(String topic, Redirects r) {
            if (r == null) {
                return null;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(FORMAT);
                out.writeUTF(r.survivor() == null ? "" : r.survivor());
                out.writeUTF(r.cause() == null ? "" : r.cause());
                out.writeInt(r.visits().size());
                for (VisitMove v : r.visits()) {
                    out.writeUTF(v.odsCode());
                    out.writeUTF(v.visit());
                    out.writeUTF(v.survivor());
                    out.writeUTF(v.cause());
                }
            } catch (IOException e) {
                throw new SerializationException("cannot write redirects: " + e.getMessage(), e);
            }
            return bytes.toByteArray();
        }

        @Override
        public Redirects deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            if (data.length == 0 || data[0] != FORMAT) {
                return new Redirects(new String(data, StandardCharsets.UTF_8), null, List.of()); // first form
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
                in.readByte();
                String survivor = in.readUTF();
                String cause = in.readUTF();
                int n = in.readInt();
                List<VisitMove> visits = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    visits.add(new VisitMove(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF()));
                }
                return new Redirects(survivor.isEmpty() ? null : survivor, cause.isEmpty() ? null : cause, visits);
            } catch (IOException e) {
                throw new SerializationException("not redirects (" + data.length + " bytes): " + e.getMessage(), e);
            }
        }

        @Override
        public Serializer<Redirects> serializer() {
            return this;
        }

        @Override
        public Deserializer<Redirects> deserializer() {
            return this;
        }

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            // nothing to configure
        }

        @Override
        public void close() {
            // nothing to close
        }
    }
}
