package org.caretrail.consumers.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The callback URLs an attacker would try, to reach the platform's own machine, its network or the
 * cloud's metadata service, written every way resolvers accept.
 */
class CallbackPolicyTest {

    /** Names of an attacker's DNS zone, resolved as the attacker likes (the JDK resolver is used elsewhere). */
    private static final Map<String, List<String>> ZONE = Map.of(
            "evil.example", List.of("127.0.0.1"),
            "metadata.evil.example", List.of("169.254.169.254"),
            "round-robin.example", List.of("93.184.215.14", "10.0.0.1"),
            "v6-private.example", List.of("fd12:3456::1"),
            "public.example", List.of("93.184.215.14"),
            "hooks.hub.example", List.of("10.9.9.9"),
            "a.trust.nhs.uk", List.of("192.168.0.4"),
            "trust.nhs.uk", List.of("192.168.0.5"),
            "other.example", List.of("93.184.215.15"));

    private static InetAddress[] resolve(String host) throws UnknownHostException {
        List<String> addresses = ZONE.get(host);
        if (addresses == null) {
            throw new UnknownHostException(host);
        }
        InetAddress[] out = new InetAddress[addresses.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = InetAddress.getByName(addresses.get(i)); // literals: nothing is looked up
        }
        return out;
    }

    private static final CallbackPolicy PUBLIC = CallbackPolicy.publicOnly().withResolver(CallbackPolicyTest::resolve);

    @ParameterizedTest
    @ValueSource(strings = {
        "http://127.0.0.1:8081/apis/ccompat/v7/subjects",   // the registry
        "http://127.0.0.1:9092/",                             // the broker
        "http://127.255.255.254/",
        "http://[::1]:8080/api/v1/subscriptions",
        "http://[::ffff:127.0.0.1]:8081/",                    // IPv4-mapped IPv6
        "http://[::ffff:7f00:1]/",
        "http://[::127.0.0.1]/",                              // IPv4-compatible IPv6
        "http://[64:ff9b::7f00:1]/",                          // NAT64 of loopback
        "http://[2002:7f00:1::]/",                            // 6to4 of loopback
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://2130706433/",                                 // 127.0.0.1 as one decimal number
        "http://017700000001/",                               // ... in octal
        "http://0x7f000001/",                                 // ... in hex
        "http://0x7f.0.0.1/",
        "http://0177.0.0.1/",
        "http://010.0.0.1/",
        "http://127.1/",                                      // shortened
        "http://127.0.1/",
        "http://169.254.169.254/latest/meta-data/iam/",       // AWS, GCP, Azure metadata
        "http://[fd00:ec2::254]/latest/meta-data/",           // AWS metadata over IPv6
        "http://100.100.100.200/latest/meta-data/",           // Alibaba metadata
        "http://168.63.129.16/machine",                       // Azure wire server
        "http://10.0.0.5/", "http://172.16.0.1/", "http://172.31.255.255/", "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0:8080/", "http://0.1.2.3/",
        "http://224.0.0.1/", "http://239.255.255.250:1900/", "http://255.255.255.255/", "http://240.0.0.1/",
        "http://192.0.2.1/", "http://198.18.0.1/",
        "http://[fe80::1]/", "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[ff02::1]/", "http://[::]/",
        "http://[fec0::1]/", "http://[2001:db8::1]/", "http://[2001::1]/",
        "http://evil.example:8081/",                          // a name that resolves to loopback
        "http://metadata.evil.example/",
        "http://round-robin.example/",                        // one good address, one private
        "http://v6-private.example/",
        "http://localhost:8081/",                             // the JDK's own resolver: /etc/hosts
        "http://user:password@public.example/",               // credentials in the URL
        "https://public.example/hook#fragment",
        "ftp://public.example/",
        "http://evil.example./",                              // trailing dot
        "HTTP://EVIL.EXAMPLE/",
    })
    void anAddressThatIsNotPublicIsRefusedHoweverItIsWritten(String url) {
        CallbackPolicy policy = url.contains("localhost") ? CallbackPolicy.publicOnly() : PUBLIC;
        assertThatThrownBy(() -> policy.check(URI.create(url)))
                .isInstanceOf(CallbackPolicy.RefusedException.class)
                .hasMessageStartingWith("callbackUrl");
    }

    @Test
    void theReasonIsSaidInWordsWithoutLookingAnythingElseUp() {
        assertThatThrownBy(() -> PUBLIC.check(URI.create("http://169.254.169.254/")))
                .hasMessageContaining("cloud metadata");
        assertThatThrownBy(() -> PUBLIC.check(URI.create("http://evil.example/")))
                .hasMessageContaining("loopback");
        // java.net.URI reads 010.0.0.1 as a host; resolvers read it as 8.0.0.1 (octal) or 10.0.0.1
        assertThatThrownBy(() -> PUBLIC.check(URI.create("http://010.0.0.1/")))
                .hasMessageContaining("four decimal numbers");
        // java.net.URI finds no host in most other numeric spellings
        assertThatThrownBy(() -> PUBLIC.check(URI.create("http://0x7f.0.0.1/")))
                .hasMessageContaining("no host name");
        assertThatThrownBy(() -> PUBLIC.check(URI.create("http://[::ffff:10.0.0.1]/")))
                .hasMessageContaining("private");
    }

    @Test
    void anIpv6AddressCarryingABlockedIpv4AddressIsJudgedByIt() throws Exception {
        // Java turns ::ffff:a.b.c.d into an IPv4 address when parsing; one made from bytes stays IPv6
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        mapped[12] = (byte) 169;
        mapped[13] = (byte) 254;
        mapped[14] = (byte) 169;
        mapped[15] = (byte) 254;
        InetAddress v6 = Inet6Address.getByAddress(null, mapped, -1);
        assertThat(v6).isInstanceOf(Inet6Address.class);
        assertThat(BlockedAddresses.why(v6)).hasValue("link-local (IPv4 inside IPv6)");
        assertThat(BlockedAddresses.whyAlways(v6)).hasValue("cloud metadata (IPv4 inside IPv6)");
        assertThat(BlockedAddresses.why(InetAddress.getByName("93.184.215.14"))).isEmpty();
        assertThat(BlockedAddresses.why(InetAddress.getByName("2606:4700:4700::1111"))).isEmpty();
        assertThat(BlockedAddresses.why(InetAddress.getByName("2002:5db8:d70e::1"))).as("6to4 of a public address")
                .isEmpty();
    }

    @Test
    void publicHostsAreAllowedAndDeliveryConnectsToTheAddressCheckedThen() throws Exception {
        assertThatCode(() -> PUBLIC.check(URI.create("https://public.example/hooks/caretrail?x=1"))).doesNotThrowAnyException();
        assertThatCode(() -> PUBLIC.check(URI.create("http://93.184.215.14:8443/"))).doesNotThrowAnyException();
        assertThatCode(() -> PUBLIC.check(URI.create("https://[2606:4700:4700::1111]/"))).doesNotThrowAnyException();
        assertThat(PUBLIC.resolve(URI.create("https://public.example/h")).getHostAddress()).isEqualTo("93.184.215.14");
    }

    @Test
    void aNameThatDoesNotResolveYetIsAcceptedAndCheckedAgainAtDelivery() {
        assertThatCode(() -> PUBLIC.check(URI.create("https://not-yet.example/h"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> PUBLIC.resolve(URI.create("https://not-yet.example/h")))
                .isInstanceOf(UnknownHostException.class);
    }

    @Test
    void anAllowListAllowsExactlyWhatItNames() throws Exception {
        CallbackPolicy listed = CallbackPolicy.parse("hooks.hub.example, *.trust.nhs.uk 10.20.0.0/16,127.0.0.1")
                .withResolver(CallbackPolicyTest::resolve);
        assertThat(listed.allowList()).containsExactly("hooks.hub.example", "*.trust.nhs.uk", "10.20.0.0/16",
                "127.0.0.1");

        // a listed name, on a private network on purpose
        assertThat(listed.resolve(URI.create("https://hooks.hub.example/h")).getHostAddress()).isEqualTo("10.9.9.9");
        assertThat(listed.resolve(URI.create("https://a.trust.nhs.uk/h")).getHostAddress()).isEqualTo("192.168.0.4");
        assertThat(listed.resolve(URI.create("http://10.20.3.4:8080/")).getHostAddress()).isEqualTo("10.20.3.4");
        assertThat(listed.resolve(URI.create("http://127.0.0.1:9999/")).getHostAddress()).isEqualTo("127.0.0.1");

        // an address entry allows that address, whatever name leads to it
        assertThat(listed.resolve(URI.create("http://evil.example:9999/")).getHostAddress()).isEqualTo("127.0.0.1");

        for (String refused : List.of("https://trust.nhs.uk/h", "http://10.21.0.1/", "http://127.0.0.2/",
                "https://other.example/", "http://metadata.evil.example/", "http://[::1]/")) {
            assertThatThrownBy(() -> listed.check(URI.create(refused))).as(refused)
                    .isInstanceOf(CallbackPolicy.RefusedException.class);
        }
    }

    @Test
    void metadataServicesStayRefusedEvenForAListedName() {
        CallbackPolicy listed = CallbackPolicy.allowing(List.of("metadata.evil.example", "169.254.0.0/16"))
                .withResolver(CallbackPolicyTest::resolve);
        assertThatThrownBy(() -> listed.check(URI.create("http://metadata.evil.example/")))
                .hasMessageContaining("may never reach");
        assertThatThrownBy(() -> listed.check(URI.create("http://169.254.169.254/")))
                .hasMessageContaining("may never reach");
    }

    @Test
    void aBadAllowListEntryIsNamed() {
        for (String bad : List.of("10.0.0.0/33", "exa mple", "*.", "1.2.3", "0x7f.0.0.1", "host/8")) {
            assertThatThrownBy(() -> CallbackPolicy.allowing(List.of(bad))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
        }
        assertThat(CallbackPolicy.parse("  ").hasAllowList()).isFalse();
    }
}
