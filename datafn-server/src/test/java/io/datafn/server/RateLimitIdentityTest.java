package io.datafn.server;

import io.datafn.auth.NamespaceProvider;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With rate limiting on, the namespace is resolved once per request, before the body is read: a caller it refuses is
 * limited as {@code anonymous} and still gets its error at the namespace step, after the body checks.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class RateLimitIdentityTest {
    @Parameter
    TestDb db;

    TestServer s;
    final AtomicInteger calls = new AtomicInteger();

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    void start() {
        NamespaceProvider byToken = ctx -> {
            calls.incrementAndGet();
            String token = ctx.header("X-Token");
            if (token == null) {
                throw new DatafnException(ErrorCode.UNAUTHORIZED, "No token", "$");
            }
            return "user:" + token;
        };
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.rateLimit(2, Duration.ofSeconds(60)).namespaceProvider(byToken));
    }

    TestServer.Reply query(String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url + "/datafn/query")).header("Content-Type", "application/json");
        if (token != null) {
            b.header("X-Token", token);
        }
        return s.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void refusedCaller_isLimitedAsAnonymousAndFailsAfterTheBodyChecks() {
        start();
        assertThat(query(null, "{bad").code()).as("the body is checked before the namespace step").isEqualTo("DFQL_INVALID");
        TestServer.Reply r = query(null, "{\"resource\":\"task\"}");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.message()).isEqualTo("No token");
        assertThat(query(null, "{\"resource\":\"task\"}").status()).as("the third anonymous request").isEqualTo(429);
        assertThat(query("a", "{\"resource\":\"task\"}").status()).as("another namespace has its own window").isEqualTo(200);
    }

    @Test
    void provider_isCalledOncePerRequest() {
        start();
        calls.set(0);
        assertThat(query("a", "{\"resource\":\"task\"}").status()).isEqualTo(200);
        assertThat(calls.get()).isEqualTo(1);
        assertThat(query(null, "{\"resource\":\"task\"}").status()).isEqualTo(401);
        assertThat(calls.get()).isEqualTo(2);
        assertThat(s.get("status").status()).as("status needs no namespace").isEqualTo(200);
    }
}
