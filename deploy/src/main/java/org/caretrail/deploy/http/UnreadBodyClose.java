package org.caretrail.deploy.http;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Says {@code Connection: close} on an answer given before the request's body was read to its end.
 *
 * <p>A handler may answer without reading the body it was sent: a refusal (401, 403, 415), a body over
 * its limit (413, after reading up to the limit). Jetty then cannot reuse the connection (the rest of the
 * body is still on it) and closes it after the answer; but the answer's headers were already sent without
 * saying so, and a client that keeps connections alive (the JDK's {@code HttpClient}, browsers, HAPI's
 * client) sends its next request on a connection that is closing under it, and gets no answer at all
 * ("header parser received no bytes"). RFC 9112 section 9.6: a server that will close the connection
 * after the response says {@code Connection: close} in it. This wrapper does, for every handler, at the
 * moment the answer is committed, so no handler has to remember to.
 */
final class UnreadBodyClose extends Handler.Wrapper {

    UnreadBodyClose(Handler handler) {
        super(handler);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long length = request.getLength();
        boolean hasBody = length > 0 || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
        if (!hasBody) {
            return super.handle(request, response, callback);
        }
        AtomicBoolean readToEnd = new AtomicBoolean();
        AtomicLong bytes = new AtomicLong();
        Request counted = new Request.Wrapper(request) {
            @Override
            public Content.Chunk read() {
                Content.Chunk chunk = super.read();
                if (chunk != null) {
                    long total = bytes.addAndGet(chunk.remaining());
                    if (chunk.isLast() || (length > 0 && total >= length)) {
                        readToEnd.set(true);
                    }
                }
                return chunk;
            }
        };
        Response closing = new Response.Wrapper(request, response) {
            @Override
            public void write(boolean last, ByteBuffer content, Callback done) {
                if (!isCommitted() && !readToEnd.get()) {
                    getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
                }
                super.write(last, content, done);
            }
        };
        return super.handle(counted, closing, callback);
    }
}
