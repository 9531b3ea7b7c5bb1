package io.datafn.server;

import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.router.Envelope;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;

/**
 * Jetty's own error responses (a request line or URI it refuses before any handler runs, e.g. a NUL byte in the path)
 * in the protocol's envelope instead of an HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus() < 400 ? 500 : response.getStatus();
        ErrorCode code = switch (status) {
            case 404 -> ErrorCode.NOT_FOUND;
            case 413, 414, 431 -> ErrorCode.LIMIT_EXCEEDED;
            case 503 -> ErrorCode.SERVICE_UNAVAILABLE;
            default -> status < 500 ? ErrorCode.DFQL_INVALID : ErrorCode.INTERNAL;
        };
        String message = switch (code) {
            case DFQL_INVALID -> "Invalid request";
            case LIMIT_EXCEEDED -> "Request exceeds a size limit";
            case NOT_FOUND -> "Not found";
            case SERVICE_UNAVAILABLE -> "Server is shutting down";
            default -> "Internal error";
        };
        io.datafn.router.Response r = Envelope.error(new DatafnException(code, message, "$", status, java.util.Map.of(), null));
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, io.datafn.router.Response.JSON);
        // Jetty drops the connection after a request it could not parse; say so, so that clients do not reuse it
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(r.body()), callback);
        return true;
    }
}
