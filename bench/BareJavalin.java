import io.javalin.Javalin;

/**
 * The baseline of bench/http.sh: a bare Javalin handler (the same Javalin and Jetty as the server, from its jar)
 * answering {@code GET /datafn/status} with a constant JSON body the size of the server's.
 * Usage: java -cp datafn-server.jar bench/BareJavalin.java PORT BODY
 */
public final class BareJavalin {
    public static void main(String[] a) {
        int port = Integer.parseInt(a[0]);
        String body = a[1];
        Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.host = "127.0.0.1";
            cfg.jetty.port = port;
            cfg.routes.get("/datafn/status", ctx -> ctx.contentType("application/json").result(body));
        }).start();
    }
}
