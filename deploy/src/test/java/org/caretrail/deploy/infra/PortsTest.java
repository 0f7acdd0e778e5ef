package org.caretrail.deploy.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {

    @Test
    void neverHandsOutTheSamePortTwice() {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            int port = Ports.free();
            assertThat(ports.add(port)).as("port %d handed out twice", port).isTrue();
            assertThat(Ports.listening("localhost", port)).isFalse();
        }
    }
}
