package org.caretrail.consumers.replay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SpreadsheetCellsTest {

    @Test
    void cellsASpreadsheetWouldRunAreDefused() {
        for (String formula : new String[] {"=1+1", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1,1)", "\t=1",
            "\r=1", "  =HYPERLINK(\"http://x\")", "\uFF1D1+1"}) {
            assertThat(SpreadsheetCells.defuse(formula)).as(formula).isEqualTo("'" + formula);
        }
    }

    @Test
    void ordinaryTextIsLeftAsItIs() {
        for (String text : new String[] {"Ward 7", "St Thomas' Hospital", "A&E", "9990000018", "", "   ",
            "1-2 days", "e-mail"}) {
            assertThat(SpreadsheetCells.defuse(text)).isEqualTo(text);
        }
        assertThat(SpreadsheetCells.defuse(null)).isNull();
    }
}
