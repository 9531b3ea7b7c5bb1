package io.datafn.server;

import io.datafn.error.DatafnException;
import io.datafn.router.Envelope;
import io.datafn.router.Response;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The adapter's HTTP/1.1 connections: Jetty's, with the rewrite of request targets Jetty would refuse
 * ({@link RawTargets}) and the request deadlines of {@link ClientLimits}. Jetty has only an idle timeout (a gap between
 * two reads), which a client sending one byte a second never reaches; here the clock starts at a request's first byte,
 * and a head not complete after {@code headerTimeout}, or a request not complete after {@code requestTimeout}, is
 * answered 408 and its connection closed. Handling time does not count: the deadline ends when the last byte of the
 * request has been read.
 */
final class HttpConnections {
    private static final Logger log = LoggerFactory.getLogger(HttpConnections.class);

    private HttpConnections() {
    }

    /** Replaces the HTTP/1.1 connection factory of every connector (call before the connectors start). */
    static void install(Server server, String basePath, ClientLimits limits) {
        for (Connector c : server.getConnectors()) {
            if (c instanceof AbstractConnector connector) {
                HttpConnectionFactory old = connector.getConnectionFactory(HttpConnectionFactory.class);
                if (old != null && !(old instanceof Factory)) {
                    Factory f = new Factory(old.getHttpConfiguration(), basePath + "/", limits);
                    f.setInputBufferSize(old.getInputBufferSize());
                    f.setTransferEncodingChunkMaxLength(old.getTransferEncodingChunkMaxLength());
                    connector.addConnectionFactory(f);
                }
            }
        }
    }

    /**
     * A complete HTTP/1.1 response with the protocol's envelope and {@code Connection: close}, for the few answers
     * given on a connection where no request is being handled (a deadline, a refused connection).
     */
    static ByteBuffer closingResponse(int status, String reason, DatafnException error) {
        Response r = Envelope.error(error);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
        for (Map.Entry<String, String> h : r.headers().entrySet()) {
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        head.append("Connection: close\r\nContent-Length: ").append(r.body().length).append("\r\n\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(h.length + r.body().length);
        b.put(h).put(r.body()).flip();
        return b;
    }

    /** Writes {@code response} and closes the endpoint, whether the write succeeds or not. */
    static void answerAndClose(EndPoint endPoint, ByteBuffer response) {
        endPoint.write(Callback.from(endPoint::close, x -> endPoint.close()), response);
    }

    private static final class Factory extends HttpConnectionFactory {
        private final String prefix;
        private final ClientLimits limits;

        Factory(HttpConfiguration config, String prefix, ClientLimits limits) {
            super(config);
            this.prefix = prefix;
            this.limits = limits;
        }

        @Override
        public Connection newConnection(Connector connector, EndPoint endPoint) {
            HttpConnection connection = new HttpConnection(getHttpConfiguration(), connector, endPoint) {
                private final Object fillLock = new Object();
                private Deadline deadline;

                private Deadline deadline() {
                    // created on first use: the request handler below is made inside HttpConnection's constructor
                    if (deadline == null) {
                        deadline = new Deadline(this, connector.getScheduler(), limits);
                    }
                    return deadline;
                }

                @Override
                protected HttpStreamOverHTTP1 newHttpStream(String method, String uri, HttpVersion version) {
                    String safe = uri != null && uri.startsWith(prefix) ? RawTargets.parseable(uri) : null;
                    if (safe == null) {
                        return super.newHttpStream(method, uri, version);
                    }
                    String rawPath = uri.substring(0, RawTargets.pathEnd(uri));
                    return new HttpStreamOverHTTP1(method, safe, version) {
                        @Override
                        public Runnable headerComplete() {
                            Runnable handle = super.headerComplete();
                            getHttpChannel().getRequest().setAttribute(RawTargets.ATTRIBUTE, rawPath);
                            return handle;
                        }
                    };
                }

                @Override
                protected RequestHandler newRequestHandler() {
                    return new RequestHandler() {
                        @Override
                        public void messageBegin() {
                            deadline().begin();
                            super.messageBegin();
                        }

                        @Override
                        public boolean headerComplete() {
                            deadline().headComplete();
                            return super.headerComplete();
                        }

                        @Override
                        public boolean messageComplete() {
                            deadline().end();
                            return super.messageComplete();
                        }

                        @Override
                        public void badMessage(HttpException failure) {
                            deadline().end();
                            super.badMessage(failure);
                        }

                        @Override
                        public void earlyEOF() {
                            deadline().end();
                            super.earlyEOF();
                        }
                    };
                }

                /**
                 * One thread at a time fills and parses this connection. Jetty 12.1.14 hands a request its parser
                 * refuses (a head over the limit, a bad header) to another thread for the error answer while the
                 * parsing thread is still inside {@code onFillable}; once that answer is written, the connection
                 * resumes {@code onFillable} on a third thread, and the two release the same pooled request buffer.
                 * A buffer released twice is handed to two connections at once: one reads another's bytes (a request
                 * handled twice with a garbled body, an answer on the wrong connection) or loses its own (a request
                 * never answered). The second thread waits here for the first to leave, which it does at once.
                 */
                @Override
                public void onFillable() {
                    synchronized (fillLock) {
                        super.onFillable();
                    }
                }

                @Override
                public void onClose(Throwable cause) {
                    deadline().end();
                    super.onClose(cause);
                }
            };
            connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
            return configure(connection, connector, endPoint);
        }
    }

    /**
     * The deadlines of the request being read on one connection: started at its first byte, ended when its last byte
     * is read (or the connection fails). Parser callbacks come from one thread at a time; the timer from the
     * scheduler's, hence the lock.
     */
    private static final class Deadline {
        private final HttpConnection connection;
        private final Scheduler scheduler;
        private final ClientLimits limits;
        private long started;
        private boolean reading;
        private boolean headComplete;
        private long generation;
        private Scheduler.Task timer;

        Deadline(HttpConnection connection, Scheduler scheduler, ClientLimits limits) {
            this.connection = connection;
            this.scheduler = scheduler;
            this.limits = limits;
        }

        synchronized void begin() {
            cancel();
            started = System.nanoTime();
            reading = true;
            headComplete = false;
            long g = ++generation;
            long headMs = Math.min(limits.headerTimeout().toMillis(), limits.requestTimeout().toMillis());
            timer = scheduler.schedule(() -> expired(g), headMs, TimeUnit.MILLISECONDS);
        }

        synchronized void headComplete() {
            headComplete = true;
        }

        synchronized void end() {
            reading = false;
            cancel();
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
        }

        private void expired(long g) {
            boolean head;
            synchronized (this) {
                if (g != generation || !reading) {
                    return;
                }
                long left = limits.requestTimeout().toMillis() - (System.nanoTime() - started) / 1_000_000;
                if (headComplete && left > 0) {
                    timer = scheduler.schedule(() -> expired(g), left, TimeUnit.MILLISECONDS);
                    return;
                }
                head = !headComplete;
                reading = false;
                timer = null;
            }
            EndPoint endPoint = connection.getEndPoint();
            long max = (head ? limits.headerTimeout() : limits.requestTimeout()).toMillis();
            log.debug("request from {} not read within {} ms ({}): closing", endPoint.getRemoteSocketAddress(), max,
                    head ? "head" : "body");
            if (!connection.getGenerator().isIdle()) {
                // answered already (a body over the size limit is refused before it arrives): only drop the rest
                endPoint.close();
            } else {
                // no answer has begun: the request is still being read (its body is read before it is handled), or
                // its handler waits for the body; the answer goes out here and the handler's read fails on the close
                answerAndClose(endPoint, closingResponse(408, "Request Timeout",
                        timeout(head ? "Request head" : "Request", max)));
            }
        }
    }

    static DatafnException timeout(String what, long maxMs) {
        return new DatafnException(io.datafn.error.ErrorCode.LIMIT_EXCEEDED, what + " not received within " + maxMs
                + " ms", "$", 408, Map.of("max", maxMs), null);
    }
}
