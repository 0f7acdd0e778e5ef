package org.caretrail.consumers.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * The addresses a webhook must not reach unless the operator names them: everything that is not a
 * public unicast address on the internet. A callback to one of these would let whoever creates a
 * subscription make CareTrail talk to its own machine, its cluster or the cloud's metadata service
 * (server-side request forgery).
 *
 * <p>IPv4: this network (0/8: connecting to 0.0.0.0 reaches the local machine), private (10/8,
 * 172.16/12, 192.168/16), shared address space (100.64/10, carrier-grade NAT; Alibaba's metadata
 * service is 100.100.100.200), loopback (127/8), link-local (169.254/16, the metadata services of AWS,
 * GCP and Azure at 169.254.169.254), IETF protocol assignments (192.0.0/24), documentation
 * (192.0.2/24, 198.51.100/24, 203.0.113/24), the 6to4 relay (192.88.99/24), benchmarking (198.18/15),
 * multicast (224/4), reserved and broadcast (240/4), and Azure's wire server 168.63.129.16.
 *
 * <p>IPv6: unspecified and loopback, IPv4-mapped ({@code ::ffff:a.b.c.d}), IPv4-compatible,
 * NAT64 ({@code 64:ff9b::/96}) and 6to4 ({@code 2002::/16}) addresses by the IPv4 address they carry,
 * local-use NAT64, discard-only, Teredo, documentation, unique-local ({@code fc00::/7}, AWS's metadata
 * service is {@code fd00:ec2::254}), link-local, site-local and multicast.
 *
 * <p>{@link #ALWAYS} are refused even when the operator's allow-list names a host that resolves to
 * them: no webhook receiver lives at a metadata service, "this network" or a multicast group.
 */
public final class BlockedAddresses {

    private record Range(byte[] network, int prefix, String why) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private static final List<Range> IPV4 = List.of(
            range("0.0.0.0", 8, "this network"),
            range("10.0.0.0", 8, "private"),
            range("100.64.0.0", 10, "shared address space"),
            range("127.0.0.0", 8, "loopback"),
            range("169.254.0.0", 16, "link-local"),
            range("172.16.0.0", 12, "private"),
            range("192.0.0.0", 24, "IETF protocol assignment"),
            range("192.0.2.0", 24, "documentation"),
            range("192.88.99.0", 24, "6to4 relay"),
            range("192.168.0.0", 16, "private"),
            range("198.18.0.0", 15, "benchmarking"),
            range("198.51.100.0", 24, "documentation"),
            range("203.0.113.0", 24, "documentation"),
            range("224.0.0.0", 4, "multicast"),
            range("240.0.0.0", 4, "reserved"),
            range("168.63.129.16", 32, "cloud metadata"));

    private static final List<Range> IPV6 = List.of(
            range("::", 128, "unspecified"),
            range("::1", 128, "loopback"),
            range("64:ff9b:1::", 48, "local-use NAT64"),
            range("100::", 64, "discard-only"),
            range("2001::", 32, "Teredo"),
            range("2001:db8::", 32, "documentation"),
            range("fc00::", 7, "unique-local"),
            range("fe80::", 10, "link-local"),
            range("fec0::", 10, "site-local"),
            range("ff00::", 8, "multicast"));

    /** Refused whatever the allow-list says. */
    private static final List<Range> ALWAYS = List.of(
            range("0.0.0.0", 8, "this network"),
            range("169.254.169.254", 32, "cloud metadata"),
            range("100.100.100.200", 32, "cloud metadata"),
            range("168.63.129.16", 32, "cloud metadata"),
            range("224.0.0.0", 4, "multicast"),
            range("255.255.255.255", 32, "broadcast"),
            range("::", 128, "unspecified"),
            range("fd00:ec2::254", 128, "cloud metadata"),
            range("ff00::", 8, "multicast"));

    private BlockedAddresses() {
    }

    /** Why {@code address} is not a public unicast address, or empty when it is. */
    public static Optional<String> why(InetAddress address) {
        return find(address, IPV4, IPV6);
    }

    /** Why {@code address} is refused even for a host on the operator's allow-list, or empty. */
    public static Optional<String> whyAlways(InetAddress address) {
        return find(address, ALWAYS, ALWAYS);
    }

    private static Optional<String> find(InetAddress address, List<Range> v4, List<Range> v6) {
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            return match(bytes, v4);
        }
        if (address instanceof Inet6Address) {
            Optional<byte[]> embedded = embeddedIpv4(bytes);
            if (embedded.isPresent()) {
                // judged by the IPv4 address it reaches
                return match(embedded.get(), v4).map(why -> why + " (IPv4 inside IPv6)");
            }
            return match(bytes, v6);
        }
        return Optional.of("not an IP address");
    }

    private static Optional<String> match(byte[] bytes, List<Range> ranges) {
        for (Range range : ranges) {
            if (range.contains(bytes)) {
                return Optional.of(range.why());
            }
        }
        return Optional.empty();
    }

    /**
     * The IPv4 address an IPv6 address leads to: IPv4-mapped {@code ::ffff:0:0/96}, IPv4-compatible
     * {@code ::/96} (except :: and ::1), NAT64 {@code 64:ff9b::/96} and 6to4 {@code 2002::/16}.
     */
    static Optional<byte[]> embeddedIpv4(byte[] v6) {
        if (v6.length != 16) {
            return Optional.empty();
        }
        boolean zeros80 = allZero(v6, 0, 10);
        if (zeros80 && (v6[10] & 0xFF) == 0xFF && (v6[11] & 0xFF) == 0xFF) {
            return Optional.of(slice(v6, 12));
        }
        if (zeros80 && v6[10] == 0 && v6[11] == 0 && !(allZero(v6, 12, 15) && (v6[15] == 0 || v6[15] == 1))) {
            return Optional.of(slice(v6, 12));
        }
        if ((v6[0] & 0xFF) == 0x00 && (v6[1] & 0xFF) == 0x64 && (v6[2] & 0xFF) == 0xFF && (v6[3] & 0xFF) == 0x9B
                && allZero(v6, 4, 12)) {
            return Optional.of(slice(v6, 12));
        }
        if ((v6[0] & 0xFF) == 0x20 && (v6[1] & 0xFF) == 0x02) {
            return Optional.of(new byte[] {v6[2], v6[3], v6[4], v6[5]});
        }
        return Optional.empty();
    }

    private static boolean allZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] slice(byte[] bytes, int from) {
        byte[] out = new byte[bytes.length - from];
        System.arraycopy(bytes, from, out, 0, out.length);
        return out;
    }

    private static Range range(String literal, int prefix, String why) {
        try {
            // literals only: no name is looked up
            return new Range(InetAddress.getByName(literal).getAddress(), prefix, why);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("bad address literal " + literal, e);
        }
    }
}
