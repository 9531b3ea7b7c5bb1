package io.datafn.server;

import io.datafn.Limits;
import io.datafn.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;

import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A body over {@code maxPayloadBytes} that is still being sent when the server refuses it: the client finishes
 * sending without a write error and reads the whole 413 envelope, on every route, with a declared length or chunked.
 * Raw sockets, because the point is what a client that writes its whole request before reading sees.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class PayloadLimitBlackBoxTest {
    private static final String TOO_LARGE = "{\"ok\":false,\"error\":{\"code\":\"LIMIT_EXCEEDED\",\"message\":"
            + "\"Request payload exceeds maximum size\",\"details\":{\"path\":\"$\",\"max\":100}}}";
    /** Far more than socket buffers hold, so that a server that stops reading makes the client's writes fail. */
    private static final int BIG = 8 << 20;

    static TestServer s;

    @Parameter
    TestDb db;

    @AfterParameterizedClassInvocation
    static void stop() {
        if (s != null) {
            s.close();
            s = null;
        }
    }

    private RawHttp connect() throws IOException {
        if (s == null) {
            s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.limits(Limits.defaults().withMaxPayloadBytes(100)));
        }
        return new RawHttp(s);
    }

    private static String post(String route, String framing) {
        return "POST /datafn/" + route + " HTTP/1.1\r\nContent-Type: application/json\r\n" + framing;
    }

    private static void assertTooLarge(RawHttp.Reply r, String as) {
        assertThat(r.status()).as(as).isEqualTo(413);
        assertJson(Json.parse(r.body()), TOO_LARGE);
    }

    @Test
    void declaredLengthOverTheLimit_fastBody_isAnswered413AfterTheClientSentItAll() throws IOException {
        for (String route : new String[]{"pull", "mutation", "push", "query"}) {
            try (RawHttp c = connect()) {
                assertTooLarge(c.sendBody(post(route, "Content-Length: " + BIG), BIG, 65536, 0, false).read(), route);
                // the body was read to its end: the connection goes on serving requests
                assertThat(c.send("GET /datafn/status HTTP/1.1", null).read().status()).isEqualTo(200);
            }
        }
    }

    @Test
    void declaredLengthOverTheLimit_slowBody_isAnswered413() throws IOException {
        try (RawHttp c = connect()) {
            assertTooLarge(c.sendBody(post("pull", "Content-Length: 200000"), 200_000, 2000, 1, false).read(), "slow");
        }
    }

    @Test
    void chunkedBodyGrowingPastTheLimit_isAnswered413AfterTheClientSentItAll() throws IOException {
        for (String route : new String[]{"pull", "transact"}) {
            try (RawHttp c = connect()) {
                assertTooLarge(c.sendBody(post(route, "Transfer-Encoding: chunked"), BIG, 65536, 0, true).read(), route);
            }
        }
        try (RawHttp c = connect()) {
            assertTooLarge(c.sendBody(post("pull", "Transfer-Encoding: chunked"), 200_000, 2000, 1, true).read(), "slow");
        }
    }

    @Test
    void bodyLongerThanTheServerReadsAway_orAwaiting100Continue_isAnsweredAtOnceAndClosed() throws IOException {
        for (String framing : new String[]{"Content-Length: 1000000000", "Content-Length: " + BIG + "\r\nExpect: 100-continue"}) {
            try (RawHttp c = connect()) {
                RawHttp.Reply r = c.sendBody(post("pull", framing), 0, 0, 0, false).read();
                assertTooLarge(r, framing);
                assertThat(r.headers().get("connection")).isEqualTo("close");
            }
        }
    }

    @Test
    void declaredLengthNeverSent_isAnsweredWithinSecondsAndClosed() throws IOException {
        // a client that declares more than it sends and waits for the answer: answered once it has sent nothing for a
        // second, not when the idle timeout ends the connection
        String[] heads = {post("query", "Content-Length: 6000000"), "GET /datafn/status HTTP/1.1\r\nContent-Length: 6000000"};
        int[] statuses = {413, 413}; // the declared length is checked before any route
        for (int i = 0; i < heads.length; i++) {
            try (RawHttp c = connect()) {
                long start = System.nanoTime();
                c.socket().setSoTimeout(8_000);
                RawHttp.Reply r = c.sendBody(heads[i], 7, 7, 0, false).read();
                assertThat(r.status()).as(heads[i]).isEqualTo(statuses[i]);
                assertThat(r.headers().get("connection")).isEqualTo("close");
                assertThat((System.nanoTime() - start) / 1_000_000).as("ms until answered").isLessThan(5_000);
            }
        }
    }
}
