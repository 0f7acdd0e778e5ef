package org.caretrail.timeline.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.caretrail.timeline.CareEventFixtures;
import org.junit.jupiter.api.Test;

/** Internal failures reach the caller as a correlation id, never as the exception's text. */
class TimelineApiErrorsTest {

    @Test
    void anUnexpectedFailureIs500WithACorrelationIdAndNoInternalText() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        TimelineQueries broken = new TimelineQueries(() -> {
            throw new IllegalStateException("store /var/lib/caretrail/streams/0_3 is corrupt at offset 4711");
        });
        server.createContext(TimelineApi.PATH_PREFIX, new TimelineApi(broken, null, () -> true));
        server.start();
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1/patients/"
                            + CareEventFixtures.nhs(5) + "/timeline")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).matches(".*correlation id [0-9a-f-]{36}.*")
                    .doesNotContain("/var/lib").doesNotContain("corrupt").doesNotContain("IllegalStateException");
        } finally {
            server.stop(0);
        }
    }
}
