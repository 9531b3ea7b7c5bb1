package io.datafn.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on 127.0.0.1 that a test can cut ({@link #down()}: every connection closed, new ones refused) and
 * restore ({@link #up()}), to play a database outage without touching the shared database server.
 */
final class TcpProxy implements AutoCloseable {
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocket server;
    private volatile int port;

    TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        up();
    }

    int port() {
        return port;
    }

    synchronized void up() throws IOException {
        if (server != null) {
            return;
        }
        ServerSocket s = bind();
        port = s.getLocalPort();
        server = s;
        Thread t = new Thread(() -> accept(s), "tcp-proxy-" + port);
        t.setDaemon(true);
        t.start();
    }

    /**
     * A listening socket on {@link #port}, or first on a free port below the kernel's ephemeral range (32768 and up on
     * Linux), so that no outgoing connection of this machine can take it while the proxy is down; a rebind after
     * {@link #down()} is retried for 5 s (SO_REUSEADDR is set before binding).
     */
    private ServerSocket bind() throws IOException {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        long until = System.nanoTime() + 5_000_000_000L;
        while (true) {
            int p = port != 0 ? port : random.nextInt(20_000, 32_000);
            ServerSocket s = new ServerSocket();
            try {
                s.setReuseAddress(true);
                s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), p), 50);
                return s;
            } catch (IOException e) {
                s.close();
                if (System.nanoTime() > until) {
                    throw e;
                }
                if (port != 0) {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }
    }

    synchronized void down() throws IOException {
        ServerSocket s = server;
        server = null;
        if (s != null) {
            s.close();
        }
        for (Socket c : open) {
            c.close();
        }
        open.clear();
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket client = s.accept();
                Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(client);
                open.add(target);
                pump(client, target);
                pump(target, client);
            } catch (IOException e) {
                // closed by down(), or the target refused: the client sees its connection closed
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        down();
    }
}
