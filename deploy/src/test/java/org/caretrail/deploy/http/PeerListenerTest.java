package org.caretrail.deploy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.security.CertificateAuthority;
import org.caretrail.deploy.security.PeerCredential;
import org.junit.jupiter.api.Test;

/**
 * Issue 10 item 5: a forwarded read goes over TLS with a peer credential. The instances' peer listener, on the
 * real Jetty transport: instances sharing the peer secret reach each other over mutual TLS; anyone else (another
 * platform's secret, no client certificate, plain HTTP, a name the certificate does not hold) is refused in the
 * handshake, before a byte of HTTP, whatever headers they would send.
 */
public class PeerListenerTest {

    private static final String SECRET = "peer-listener-test-secret-0123456789abcdef";
    private static final String PATH = "/api/v1/patients/9990000018/timeline";

    private static HttpHandler answer() {
        return exchange -> {
            byte[] body = ("peer " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        };
    }

    private static HttpResponse<String> get(SSLContext tls, String url) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void instancesSharingTheSecretReachEachOtherAndNoOneElseGetsThroughTheHandshake() throws Exception {
        SSLContext server = PeerCredential.of(SECRET).tls(List.of("127.0.0.1"));
        int port = Ports.free();
        try (PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", port, -1, HttpLimits.defaults(),
                new Health(), () -> "")) {
            http.peersOn("127.0.0.1", 0, server);
            http.mount("/api/v1/patients/", answer());
            http.mountPublic("/", answer());
            http.start();
            String peer = "https://127.0.0.1:" + http.peerPort();
            assertThat(http.peerPort()).isPositive().isNotEqualTo(port);

            // another instance of the platform: its own certificate, issued from the same secret
            SSLContext sameSecret = PeerCredential.of(SECRET).tls(List.of("127.0.0.1"));
            HttpResponse<String> ok = get(sameSecret, peer + PATH);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("peer " + PATH);
            assertThat(ok.sslSession()).hasValueSatisfying(s -> assertThat(s.getProtocol()).isEqualTo("TLSv1.3"));
            assertThat(get(sameSecret, peer + "/index.html").statusCode())
                    .as("nothing public on the peer port").isEqualTo(404);
            assertThat(get(HttpClient.newHttpClient(), "http://127.0.0.1:" + port + "/index.html"))
                    .as("the main port is unchanged").isEqualTo(200);

            // another platform's secret: neither side trusts the other
            SSLContext otherPlatform = PeerCredential.of(SECRET + "-other").tls(List.of("127.0.0.1"));
            assertThatThrownBy(() -> get(otherPlatform, peer + PATH)).isInstanceOf(SSLException.class);
            // trusting anything but holding no certificate: the listener demands one
            assertThatThrownBy(() -> get(trustingAnythingWithoutACertificate(), peer + PATH))
                    .isInstanceOf(IOException.class);
            // the JDK's default trust: the peer certificate is from no public CA
            assertThatThrownBy(() -> get(SSLContext.getDefault(), peer + PATH)).isInstanceOf(SSLException.class);
            // the instance dialled by a name its certificate does not hold: the caller refuses it
            assertThatThrownBy(() -> get(sameSecret, "https://localhost:" + http.peerPort() + PATH))
                    .isInstanceOf(SSLException.class);
            // plain HTTP to the peer port: no HTTP answer at all
            assertThat(plainHttpAnswer(http.peerPort())).doesNotStartWith("HTTP/1.1 200");
        }
    }

    @Test
    void everyHolderOfTheSecretDerivesTheSameAuthorityAndNoOneElseDoes() throws Exception {
        byte[] seed = SECRET.getBytes(StandardCharsets.UTF_8);
        X509Certificate one = CertificateAuthority.derivedFrom(seed, "test CA").certificate();
        X509Certificate two = CertificateAuthority.derivedFrom(seed.clone(), "test CA").certificate();
        assertThat(two.getPublicKey()).isEqualTo(one.getPublicKey());
        assertThat(two.getSubjectX500Principal()).isEqualTo(one.getSubjectX500Principal());
        assertThat(two.getSerialNumber()).isEqualTo(one.getSerialNumber());
        two.verify(one.getPublicKey());
        X509Certificate other = CertificateAuthority.derivedFrom((SECRET + "x").getBytes(StandardCharsets.UTF_8),
                "test CA").certificate();
        assertThat(other.getPublicKey()).isNotEqualTo(one.getPublicKey());
        assertThat(other.getSubjectX500Principal()).isNotEqualTo(one.getSubjectX500Principal());
        assertThat(CertificateAuthority.derivedFrom(seed, "another purpose").certificate().getPublicKey())
                .isNotEqualTo(one.getPublicKey());
        assertThatThrownBy(() -> CertificateAuthority.derivedFrom(new byte[16], "test CA"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static int get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** A TLS client that trusts any server and has no certificate of its own: the peer port must refuse it. */
    public static SSLContext trustingAnythingWithoutACertificate() throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }

    /** What a plain-HTTP request to {@code port} gets back (empty when the connection is just closed). */
    private static String plainHttpAnswer(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("GET " + PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] buffer = new byte[64];
            InputStream in = socket.getInputStream();
            int n = in.read(buffer);
            return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException e) {
            return "";
        }
    }
}
