package org.caretrail.producers.hl7;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What makes two messages the same message (documented in {@link ContentHash} and producers/README.md). */
class ContentHashTest {

    private static final String A01 = "MSH|^~\\&|PAS|RJ1|CT|CT|20261120090000||ADT^A01^ADT_A01|M1|P|2.5\r"
            + "EVN|A01|20261120090000\r"
            + "PID|||9990000018^^^NHS^NH||SMITH^JANE\r"
            + "PV1||I|WARD 7|||||||||||||||||V100\r";

    @Test
    void a_resend_with_msh_7_restamped_is_the_same_message() {
        assertThat(ContentHash.of(A01.replace("20261120090000||ADT", "20261120093000||ADT")))
                .isEqualTo(ContentHash.of(A01));
    }

    @Test
    void line_endings_trailing_blanks_trailing_empty_fields_and_empty_segments_do_not_count() {
        String crlf = A01.replace("\r", "\r\n");
        String lf = A01.replace("\r", "\n");
        String padded = A01.replace("SMITH^JANE\r", "SMITH^JANE|||  \r\r");
        assertThat(ContentHash.of(crlf)).isEqualTo(ContentHash.of(A01));
        assertThat(ContentHash.of(lf)).isEqualTo(ContentHash.of(A01));
        assertThat(ContentHash.of(padded)).isEqualTo(ContentHash.of(A01));
    }

    @Test
    void everything_else_counts() {
        assertThat(ContentHash.of(A01.replace("EVN|A01|20261120090000", "EVN|A01|20261120090100")))
                .as("EVN-2").isNotEqualTo(ContentHash.of(A01));
        assertThat(ContentHash.of(A01.replace("9990000018", "9990000026"))).as("another patient")
                .isNotEqualTo(ContentHash.of(A01));
        assertThat(ContentHash.of(A01.replace("WARD 7", "WARD 8"))).as("another ward")
                .isNotEqualTo(ContentHash.of(A01));
        assertThat(ContentHash.of(A01.replace("|M1|", "|M2|"))).as("MSH-10").isNotEqualTo(ContentHash.of(A01));
        assertThat(ContentHash.of(A01.replace("PID|||", "PID||| "))).as("a space inside a field")
                .isNotEqualTo(ContentHash.of(A01));
    }

    @Test
    void the_field_separator_is_the_senders() {
        String hashes = A01.replace('|', '#').replace("MSH#^~\\&#", "MSH#^~\\&#");
        assertThat(ContentHash.of(hashes.replace("20261120090000##ADT", "20261120093000##ADT")))
                .isEqualTo(ContentHash.of(hashes));
    }
}
