package io.datafn.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests {@code java.net.http} will not send (malformed request targets) or to
 * control how a body is written.
 */
final class RawHttp implements AutoCloseable {
    private final Socket socket;

    /** A response: status, headers (lower-case names) and the body of its Content-Length. */
    record Reply(int status, Map<String, String> headers, String body) {
    }

    RawHttp(TestServer server) throws IOException {
        this(server, "127.0.0.1");
    }

    /**
     * A connection from another loopback address ({@code 127.0.0.2}, ...: every 127/8 address reaches the server), for
     * tests of per-source limits.
     */
    RawHttp(TestServer server, String from) throws IOException {
        socket = connect(server, from);
        socket.setSoTimeout(20_000);
    }

    /** A plain socket from {@code from} to the server. */
    static Socket connect(TestServer server, String from) throws IOException {
        Socket s = new Socket();
        s.bind(new java.net.InetSocketAddress(from, 0));
        s.connect(new java.net.InetSocketAddress("127.0.0.1", server.app.port()), 5_000);
        return s;
    }

    /** Writes raw bytes (a request head in pieces, a byte of a body). */
    RawHttp write(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    /**
     * Sends a WebSocket upgrade of {@code /datafn/ws} with {@code extraHeaders} (each ending in CRLF) and reads the
     * answer's head, which it returns; after a 101 the connection's stream carries the server's frames.
     */
    String upgradeWebSocket(String extraHeaders) throws IOException {
        write("GET /datafn/ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n");
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the handshake: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** True when the server has closed the connection: the next read sees its end (within the read timeout). */
    boolean closedByServer() throws IOException {
        try {
            return socket.getInputStream().read() < 0;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    Socket socket() {
        return socket;
    }

    /** Sends a request head (request line and headers, without the blank line) and an optional text body. */
    RawHttp send(String head, String body) throws IOException {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write((head + "\r\nHost: t\r\n" + (body == null ? "" : "Content-Length: " + b.length + "\r\n") + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.flush();
        return this;
    }

    /**
     * Sends a request head, then {@code total} body bytes ({@code [} and spaces) in pieces of {@code piece} bytes with
     * {@code pauseMs} between them, chunked or not as the head declares.
     */
    RawHttp sendBody(String head, int total, int piece, int pauseMs, boolean chunked) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((head + "\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        byte[] bytes = new byte[Math.max(piece, 1)];
        Arrays.fill(bytes, (byte) ' ');
        bytes[0] = '[';
        for (int sent = 0; sent < total; sent += piece) {
            int n = Math.min(piece, total - sent);
            if (chunked) {
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            out.write(bytes, 0, n);
            if (chunked) {
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            bytes[0] = ' ';
            if (pauseMs > 0) {
                out.flush();
                sleep(pauseMs);
            }
        }
        if (chunked) {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.flush();
        return this;
    }

    /** Reads one response. */
    Reply read() throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the response head: " + head);
            }
            head.write(b);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        String length = headers.get("content-length");
        byte[] body = length != null ? in.readNBytes(Integer.parseInt(length))
                : "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? chunks(in) : in.readAllBytes();
        return new Reply(Integer.parseInt(lines[0].split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
    }

    /** A chunked body, without its chunk sizes. */
    private static byte[] chunks(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int size = chunkSize(in); size > 0; size = chunkSize(in)) {
            body.write(in.readNBytes(size));
            line(in);
        }
        line(in); // the end of the (empty) trailer
        return body.toByteArray();
    }

    private static int chunkSize(InputStream in) throws IOException {
        String line = line(in);
        int ext = line.indexOf(';');
        return Integer.parseInt((ext < 0 ? line : line.substring(0, ext)).trim(), 16);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed inside a chunked body");
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.ISO_8859_1).replace("\r", "");
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
