package org.caretrail.timeline.query;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.state.HostInfo;
import org.caretrail.events.access.Caller;

/**
 * Sends a read to the instance that owns the patient, signed with the platform's peer credential
 * ({@link TimelineApi.PeerSigner}) and carrying the ORIGINAL caller as verified here; the caller's own
 * token never leaves this instance. The owner verifies the credential, applies its own access rules and
 * audits the read itself. Used by every read API that forwards (the timeline API, the FHIR read API).
 *
 * <p>Always over TLS, to the owner's peer port (its {@code application.server}), with this instance's own
 * certificate (the owner accepts only instances of the same platform) and checking that the owner's names the
 * host dialled: a host named in Kafka's metadata gets neither the caller's token nor, unless it is an instance
 * of this platform, the signed request. There is no plain-HTTP forwarding.
 */
public final class PeerForwarding {

    /** How long the owner has to answer. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** The owner's answer: its status, content type and body, passed on as they are. */
    public record Reply(int status, String contentType, byte[] body) {
    }

    private final TimelineApi.PeerSigner signer;
    private final HttpClient client;

    /** An instance that cannot forward ({@link #canForward()} false). */
    public PeerForwarding() {
        this.signer = null;
        this.client = null;
    }

    /**
     * @param signer signs forwarded requests
     * @param tls this instance's certificate, and the trust that accepts only other instances' ones
     */
    public PeerForwarding(TimelineApi.PeerSigner signer, javax.net.ssl.SSLContext tls) {
        this.signer = java.util.Objects.requireNonNull(signer, "signer");
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                .sslContext(java.util.Objects.requireNonNull(tls, "TLS: forwarding is never in the clear")).build();
    }

    public boolean canForward() {
        return signer != null;
    }

    /**
     * {@code GET pathAndQuery} (raw, as received) on {@code owner}, as {@code caller}, with {@code headers}
     * (e.g. {@code Accept}). Throws IOException when the owner did not answer.
     */
    public Reply get(HostInfo owner, String pathAndQuery, Caller caller, Map<String, String> headers)
            throws IOException, InterruptedException {
        if (signer == null) {
            throw new IllegalStateException("no peer credential to forward with");
        }
        URI uri = URI.create("https://" + owner.host() + ":" + owner.port() + pathAndQuery);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(TIMEOUT);
        headers.forEach(request::header);
        signer.sign("GET", pathAndQuery, caller).forEach(request::header);
        HttpResponse<byte[]> reply = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(reply.statusCode(), reply.headers().firstValue("Content-Type").orElse(null), reply.body());
    }
}
