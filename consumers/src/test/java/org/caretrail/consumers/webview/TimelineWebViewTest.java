package org.caretrail.consumers.webview;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TimelineWebViewTest {

    private HttpServer server;
    private String base;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(TimelineWebView.PATH, new TimelineWebView());
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePageItsScriptAndItsStyleSheetWithTheirTypes() throws Exception {
        HttpResponse<String> page = send("GET", "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<script src=\"/web/timeline.js\"").contains("/web/timeline.css");
        assertThat(send("GET", "/index.html").body()).isEqualTo(page.body());

        HttpResponse<String> script = send("GET", "/web/timeline.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(script.body()).contains("/api/v1/patients/");
        assertThat(send("GET", "/web/timeline.css").headers().firstValue("Content-Type"))
                .hasValue("text/css; charset=utf-8");
    }

    @Test
    void everyAnswerForbidsInlineScriptForeignContentAndReferers() throws Exception {
        for (String path : new String[] {"/", "/web/timeline.js", "/nothing-here"}) {
            HttpResponse<String> response = send("GET", path);
            assertThat(response.headers().firstValue("Content-Security-Policy")).get().asString()
                    .contains("default-src 'none'").contains("script-src 'self'").doesNotContain("unsafe-inline");
            assertThat(response.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
            assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        }
    }

    @Test
    void onlyItsOwnFilesAndNoPathFromTheRequest() throws Exception {
        assertThat(send("GET", "/web/../../../../etc/passwd").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/org/caretrail/consumers/webview/index.html").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/web/TimelineWebView.class").statusCode()).isEqualTo(404);
        HttpResponse<String> missing = send("GET", "/favicon.ico");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("the timeline web view is at /");
    }

    @Test
    void headHasNoBodyAndOtherMethodsAreRefused() throws Exception {
        HttpResponse<String> head = send("HEAD", "/");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        HttpResponse<String> post = send("POST", "/");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    /** Provider text reaches the page only as text: the script never builds markup from strings. */
    @Test
    void theScriptNeverTurnsDataIntoMarkup() throws IOException {
        String script;
        try (InputStream in = TimelineWebView.class.getResourceAsStream(
                "/org/caretrail/consumers/webview/timeline.js")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(script).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(")
                .contains("textContent");
    }

    /** A form with a display class (the token prompt) must still disappear when the page hides it. */
    @Test
    void hiddenPartsStayHiddenWhateverTheirClass() throws Exception {
        assertThat(send("GET", "/web/timeline.css").body().replace(" ", ""))
                .contains("[hidden]{display:none!important;}");
        assertThat(send("GET", "/").body()).contains("<form id=\"auth\" class=\"query\" hidden>");
    }
}
