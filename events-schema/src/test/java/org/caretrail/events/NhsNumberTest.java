package org.caretrail.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NhsNumberTest {

    @Test
    void acceptsAValidNumberAndFormatsIt() {
        NhsNumber nhs = NhsNumber.of("9912003888");
        assertThat(nhs.value()).isEqualTo("9912003888");
        assertThat(nhs.formatted()).isEqualTo("991 200 3888");
        assertThat(NhsNumber.of("991 200 3888")).isEqualTo(nhs);
    }

    @Test
    void rejectsAWrongCheckDigitNamingTheExpectedOne() {
        assertThat(NhsNumber.isValid("9409401122")).isFalse();
        assertThatThrownBy(() -> NhsNumber.of("9409401122"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Modulus 11");
    }

    @Test
    void aNumberWhoseCheckDigitComputesToTenIsNeverValid() {
        // 999000003: 9*10+9*9+9*8+0+0+0+0+0+3*2 = 249; 249 mod 11 = 7... find one by search instead
        String nine = findNineDigitsWithCheckTen();
        assertThat(NhsNumber.checkDigit(nine)).isEqualTo(10);
        for (int last = 0; last <= 9; last++) {
            assertThat(NhsNumber.isValid(nine + last)).as(nine + last).isFalse();
        }
        assertThat(NhsNumber.problem(nine + "0")).contains("can never be valid");
        assertThat(NhsNumber.withCheckDigit(nine)).isEmpty();
    }

    private static String findNineDigitsWithCheckTen() {
        for (int i = 0; i < 1000; i++) {
            String nine = String.format("999%06d", i);
            if (NhsNumber.checkDigit(nine) == 10) {
                return nine;
            }
        }
        throw new AssertionError("no nine digits with check 10 in range");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "12345", "99120038881", "99120O3888", "abcdefghij"})
    void rejectsMalformedInput(String text) {
        assertThat(NhsNumber.isValid(text)).isFalse();
        assertThat(NhsNumber.problem(text)).isNotBlank();
    }

    @Test
    void rejectsNull() {
        assertThat(NhsNumber.problem(null)).isEqualTo("NHS number is missing");
    }

    @Property
    void everySyntheticNumberPassesAndAnyOtherLastDigitFails(@ForAll @IntRange(min = 0, max = 999_999) int n) {
        String nine = String.format("999%06d", n);
        NhsNumber.withCheckDigit(nine).ifPresent(valid -> {
            assertThat(NhsNumber.isValid(valid.value())).isTrue();
            int check = valid.value().charAt(9) - '0';
            for (int other = 0; other <= 9; other++) {
                if (other != check) {
                    assertThat(NhsNumber.isValid(nine + other)).isFalse();
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"9990001006", "999 000 1006", "999-000-1006", "\t999 000 1006 ", "999\u00a0000\u00a01006",
        " 999-000 1006\n"})
    void everyAcceptedSpellingHasOneCanonicalForm(String spelling) {
        assertThat(NhsNumber.isValid(spelling)).isTrue();
        assertThat(NhsNumber.of(spelling).value()).isEqualTo("9990001006");
        assertThat(NhsNumber.canonical(spelling)).contains("9990001006");
        assertThat(NhsNumber.canonicalOrSame(spelling)).isEqualTo("9990001006");
    }

    @ParameterizedTest
    @ValueSource(strings = {"999+000+1006", "999.000.1006", "999000100６", "\u0669\u0669\u0669\u0660\u0660\u0660\u0661\u0660\u0660\u0666",
        "99900010O6"})
    void otherSeparatorsAndNonAsciiDigitsAreNotAnNhsNumber(String spelling) {
        assertThat(NhsNumber.isValid(spelling)).as(spelling).isFalse();
        assertThat(NhsNumber.canonical(spelling)).isEmpty();
        assertThat(NhsNumber.canonicalOrSame(spelling)).isEqualTo(spelling);
    }
}
