package org.caretrail.consumers.webhook;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where webhooks may go: the operator's setting, checked when a subscription is created and again,
 * on the address actually connected to, at every delivery.
 *
 * <ul>
 *   <li>A callback URL is an absolute {@code http} or {@code https} URL without user information (put
 *       credentials in {@code callbackAuthorization}) and without a fragment. A numeric host must be a
 *       plain dotted-quad IPv4 address: decimal ({@code 2130706433}), octal ({@code 0177.0.0.1}), hex
 *       ({@code 0x7f.0.0.1}) and shortened ({@code 127.1}) spellings are refused, since resolvers read
 *       them differently.
 *   <li>Without an allow-list, any host is allowed whose every address is a public unicast address
 *       ({@link BlockedAddresses}).
 *   <li>With an allow-list ({@link #allowing(List)}: host names, {@code *.domain} wildcards, IP
 *       addresses, CIDR blocks), only listed hosts are allowed. A listed name is allowed whatever it
 *       resolves to, a listed address or block only those addresses, so an operator can allow a
 *       receiver on a private network (HSCN, a cluster) on purpose. The metadata services, "this
 *       network" and multicast ({@link BlockedAddresses#whyAlways}) stay refused.
 *   <li>A name is resolved once per delivery and the connection goes to that address
 *       ({@link #resolve(URI)}); every address the name has must pass, so a name that also resolves
 *       to a blocked address (DNS rebinding, round robin) is refused.
 * </ul>
 */
public final class CallbackPolicy {

    /** Looks names up; the JDK's resolver by default, replaceable in tests. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** The URL or the address it leads to is not allowed; the message is safe to show the subscriber. */
    public static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        public RefusedException(String message) {
            super(message);
        }
    }

    private static final Pattern NUMERIC_LABEL = Pattern.compile("[0-9]+|0[xX][0-9a-fA-F]*");
    private static final Pattern DOTTED_QUAD = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?i)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*");

    private final List<Entry> allowList;
    private final Resolver resolver;

    private record Entry(String name, boolean wildcard, byte[] network, int prefix, String text) {
        boolean matchesName(String host) {
            if (name == null) {
                return false;
            }
            return wildcard ? host.endsWith("." + name) : host.equals(name);
        }

        boolean matchesAddress(InetAddress address) {
            if (network == null) {
                return false;
            }
            byte[] bytes = address.getAddress();
            if (bytes.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private CallbackPolicy(List<Entry> allowList, Resolver resolver) {
        this.allowList = List.copyOf(allowList);
        this.resolver = resolver;
    }

    /** No allow-list: any host with public addresses only. */
    public static CallbackPolicy publicOnly() {
        return new CallbackPolicy(List.of(), InetAddress::getAllByName);
    }

    /**
     * Only the listed hosts: {@code gp-hub.example.nhs.uk}, {@code *.example.nhs.uk}, {@code 10.20.0.5},
     * {@code 10.20.0.0/16}, {@code [fd12::1]} or {@code fd12::/64}. An empty list means
     * {@link #publicOnly()}.
     *
     * @throws IllegalArgumentException naming an entry that is none of these
     */
    public static CallbackPolicy allowing(List<String> hosts) {
        List<Entry> entries = new ArrayList<>();
        for (String raw : hosts) {
            String text = raw.strip();
            if (!text.isEmpty()) {
                entries.add(entry(text));
            }
        }
        return new CallbackPolicy(entries, InetAddress::getAllByName);
    }

    /**
     * Reads the setting's text form: entries separated by commas or white space, e.g.
     * {@code "gp-hub.example.nhs.uk, 10.20.0.0/16"}; null or blank means {@link #publicOnly()}.
     */
    public static CallbackPolicy parse(String setting) {
        if (setting == null || setting.isBlank()) {
            return publicOnly();
        }
        return allowing(Arrays.asList(setting.split("[,\\s]+")));
    }

    /** The same policy with another resolver (tests: a name that resolves to loopback). */
    public CallbackPolicy withResolver(Resolver other) {
        return new CallbackPolicy(allowList, other);
    }

    public boolean hasAllowList() {
        return !allowList.isEmpty();
    }

    /** The allow-list as the operator wrote it (empty: public hosts only). */
    public List<String> allowList() {
        return allowList.stream().map(Entry::text).toList();
    }

    /**
     * Checks a callback URL as a subscription is created: its form, its host against the
     * allow-list, and the addresses it resolves to now. A name that does not resolve yet is accepted
     * (it is checked again at each delivery).
     *
     * @throws RefusedException saying what is wrong, in words safe to return to the caller
     */
    public void check(URI url) throws RefusedException {
        String host = host(url);
        try {
            addresses(host);
        } catch (UnknownHostException e) {
            // resolved again at each delivery
        }
    }

    /**
     * The one address a delivery connects to: the host resolved once, every address it has checked.
     *
     * @throws RefusedException when the URL or any of its addresses is not allowed
     * @throws UnknownHostException when the name does not resolve
     */
    public InetAddress resolve(URI url) throws RefusedException, UnknownHostException {
        return addresses(host(url))[0];
    }

    private InetAddress[] addresses(String host) throws RefusedException, UnknownHostException {
        boolean literal = isLiteral(host);
        Entry byName = literal ? null : allowList.stream().filter(e -> e.matchesName(host)).findFirst().orElse(null);
        if (hasAllowList() && !literal && byName == null && allowList.stream().noneMatch(e -> e.network != null)) {
            throw new RefusedException("callbackUrl host " + host + " is not on the operator's list of allowed "
                    + "callback hosts");
        }
        InetAddress[] addresses = literal ? new InetAddress[] {literal(host)} : resolver.resolve(host);
        if (addresses == null || addresses.length == 0) {
            throw new UnknownHostException(host);
        }
        for (InetAddress address : addresses) {
            Optional<String> always = BlockedAddresses.whyAlways(address);
            if (always.isPresent()) {
                throw new RefusedException("callbackUrl host " + host + " leads to a " + always.get()
                        + " address, which webhooks may never reach");
            }
            if (byName != null) {
                continue;
            }
            if (hasAllowList()) {
                if (allowList.stream().noneMatch(e -> e.matchesAddress(address))) {
                    throw new RefusedException("callbackUrl host " + host + " is not on the operator's list of "
                            + "allowed callback hosts");
                }
                continue;
            }
            Optional<String> why = BlockedAddresses.why(address);
            if (why.isPresent()) {
                throw new RefusedException("callbackUrl host " + host + " leads to a " + why.get() + " address; "
                        + "webhooks go to public addresses unless the operator allows the host");
            }
        }
        return addresses;
    }

    /** The URL's host, lower case without a trailing dot, after checking the URL's form. */
    static String host(URI url) throws RefusedException {
        if (url == null || !url.isAbsolute() || url.isOpaque()) {
            throw new RefusedException("callbackUrl must be an absolute http or https URL");
        }
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new RefusedException("callbackUrl must be an http or https URL, not " + scheme);
        }
        if (url.getRawUserInfo() != null) {
            throw new RefusedException("callbackUrl must not carry credentials (user:password@); "
                    + "give them as callbackAuthorization, which is kept encrypted");
        }
        if (url.getRawFragment() != null) {
            throw new RefusedException("callbackUrl must not have a #fragment");
        }
        String host = url.getHost();
        if (host == null || host.isEmpty()) {
            // java.net.URI leaves the host null for names it cannot parse as a server authority
            throw new RefusedException("callbackUrl has no host name that can be read");
        }
        if (url.getPort() == 0 || url.getPort() > 65535) {
            throw new RefusedException("callbackUrl port must be between 1 and 65535");
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            return host;
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        String[] labels = host.split("\\.");
        String last = labels.length == 0 ? host : labels[labels.length - 1];
        if (NUMERIC_LABEL.matcher(last).matches() && !DOTTED_QUAD.matcher(host).matches()) {
            throw new RefusedException("callbackUrl host " + host + " is a numeric address in an unusual spelling; "
                    + "write an IPv4 address as four decimal numbers (a.b.c.d) or use a host name");
        }
        if (!DOTTED_QUAD.matcher(host).matches() && !HOST_NAME.matcher(host).matches()) {
            throw new RefusedException("callbackUrl host " + host + " is not a valid host name");
        }
        return host;
    }

    private static boolean isLiteral(String host) {
        return host.startsWith("[") || DOTTED_QUAD.matcher(host).matches();
    }

    private static InetAddress literal(String host) throws RefusedException {
        String text = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (text.contains("%")) {
            throw new RefusedException("callbackUrl must not name an IPv6 zone");
        }
        try {
            // an address literal: parsed, never looked up
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new RefusedException("callbackUrl host " + host + " is not a valid IP address");
        }
    }

    private static Entry entry(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        int slash = lower.indexOf('/');
        String address = slash < 0 ? lower : lower.substring(0, slash);
        if (address.startsWith("[") && address.endsWith("]")) {
            address = address.substring(1, address.length() - 1);
        }
        boolean looksLikeAddress = DOTTED_QUAD.matcher(address).matches() || address.contains(":");
        if (looksLikeAddress) {
            try {
                byte[] network = InetAddress.getByName(address).getAddress();
                int prefix = slash < 0 ? network.length * 8 : Integer.parseInt(lower.substring(slash + 1));
                if (prefix < 0 || prefix > network.length * 8) {
                    throw new IllegalArgumentException("callback allow-list entry '" + text
                            + "': prefix must be 0-" + network.length * 8);
                }
                return new Entry(null, false, network, prefix, text);
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalArgumentException("callback allow-list entry '" + text
                        + "' is not an IP address or CIDR block");
            }
        }
        if (slash >= 0) {
            throw new IllegalArgumentException("callback allow-list entry '" + text + "' is not a CIDR block");
        }
        boolean wildcard = lower.startsWith("*.");
        String name = wildcard ? lower.substring(2) : lower;
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (!HOST_NAME.matcher(name).matches() || NUMERIC_LABEL.matcher(name.substring(name.lastIndexOf('.') + 1))
                .matches()) {
            throw new IllegalArgumentException("callback allow-list entry '" + text
                    + "' is not a host name, *.domain, IP address or CIDR block");
        }
        return new Entry(name, wildcard, null, 0, text);
    }
}
