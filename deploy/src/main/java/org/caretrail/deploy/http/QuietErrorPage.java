package org.caretrail.deploy.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * What the front door answers when Jetty itself refuses a request before any CareTrail handler sees it (a
 * suspicious path character, headers too large, a malformed request line): the status and Jetty's fixed reason
 * as plain text, never the request's URI or anything else the caller sent. Jetty's own page quotes the URI back,
 * which may hold an NHS number.
 */
final class QuietErrorPage extends ErrorHandler {

    /** Jetty's reasons are fixed phrases ("Suspicious Path Character"); anything else is not repeated. */
    private static final Pattern FIXED_PHRASE = Pattern.compile("[A-Za-z ]{1,80}");

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus() > 0 ? response.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR_500;
        Object message = request.getAttribute(ErrorHandler.ERROR_MESSAGE);
        String reason = message instanceof String m && FIXED_PHRASE.matcher(m).matches()
                ? m : HttpStatus.getMessage(status);
        byte[] body = ("HTTP " + status + " " + reason + "\n").getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
