package org.caretrail.consumers.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdentityGroupsTest {

    @Test
    void linksAndMergesJoinIdentifiersIntoPeople() {
        IdentityGroups groups = new IdentityGroups();
        groups.same(List.of("9990000018", "RJ1-MRN|40800000"));           // a link
        groups.same(List.of("9990000026", "9990000018"));                 // a merge of the linked number
        groups.same(List.of("9990000034", "9990000026"));                 // a chain of merges
        groups.same(List.of("9990000042", "LA1-PERSON|77"));              // someone else
        groups.same(List.of());

        assertThat(groups.closure(Set.of("9990000034")))
                .containsExactlyInAnyOrder("9990000034", "9990000026", "9990000018", "RJ1-MRN|40800000");
        assertThat(groups.closure(Set.of("RJ1-MRN|40800000"))).hasSize(4).doesNotContain("9990000042");
        assertThat(groups.closure(Set.of("LA1-PERSON|77"))).containsExactlyInAnyOrder("LA1-PERSON|77", "9990000042");
        assertThat(groups.closure(Set.of("9990000050"))).containsExactly("9990000050");
    }

    @Test
    void aLongChainStaysCorrect() {
        IdentityGroups groups = new IdentityGroups();
        for (int i = 0; i < 10_000; i++) {
            groups.same(List.of("n" + i, "n" + (i + 1)));
        }
        groups.same(List.of("other", "another"));
        assertThat(groups.closure(Set.of("n0"))).hasSize(10_001).doesNotContain("other");
        assertThat(groups.closure(Set.of("n5000"))).contains("n0", "n10000");
    }
}
