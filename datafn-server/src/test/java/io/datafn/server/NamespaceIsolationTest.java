package io.datafn.server;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.auth.AuthContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.Date;

import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/** Namespaces from verified JWTs: no request reaches another namespace's rows, changes, counter or idempotency keys. */
@ParameterizedClass
@EnumSource(TestDb.class)
class NamespaceIsolationTest {
    static final String SECRET = "test-secret-test-secret-test-secret-0123";

    @Parameter
    TestDb db;

    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    TestServer start() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(new JwtAuth(JwtAuth.hmac(SECRET), "sub", "tenant_id")));
        return s;
    }

    static String token(String user, String tenant) {
        var b = JWT.create().withSubject(user).withExpiresAt(Date.from(Instant.now().plusSeconds(600)));
        if (tenant != null) {
            b = b.withClaim("tenant_id", tenant);
        }
        return b.sign(Algorithm.HMAC256(SECRET));
    }

    TestServer.Reply post(String endpoint, String body, String token) {
        return s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/" + endpoint))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static String pushInsert(String id, String label, String mid) {
        return "{\"clientId\":\"c1\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"" + id
                + "\",\"record\":{\"label\":\"" + label + "\"},\"clientId\":\"c1\",\"mutationId\":\"" + mid + "\"}]}";
    }

    static String signed(java.util.Map<String, Object> claims) {
        var b = JWT.create().withExpiresAt(Date.from(Instant.now().plusSeconds(600))).withPayload(claims);
        return b.sign(Algorithm.HMAC256(SECRET));
    }

    /** A token over a payload written by hand (JSON escapes such as an unpaired surrogate survive as sent). */
    static String rawSigned(String payloadJson) {
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                + "." + b64.encodeToString(payloadJson.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
            return signingInput + "." + b64.encodeToString(mac.doFinal(signingInput.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes a tag as {@code writer}, then returns how many tags {@code reader} sees. */
    long seenByOther(String writer, String reader) {
        TestServer.Reply w = post("mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:secret\",\"record\":{\"label\":\"s\"}}", writer);
        assertThat(w.status()).as("%s", w.body()).isEqualTo(200);
        TestServer.Reply r = post("query", "{\"resource\":\"tag\"}", reader);
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        return r.result().get("data").size();
    }

    @Test
    void identities_thatLookAlike_getTheirOwnNamespaces() {
        start();
        // a tenant that contains the separator cannot impersonate another (tenant, user) pair
        assertThat(seenByOther(signed(java.util.Map.of("sub", "u:user:v", "tenant_id", "t")),
                signed(java.util.Map.of("sub", "v", "tenant_id", "t:user:u")))).isZero();
        // an unpaired surrogate is not "?"
        assertThat(seenByOther(rawSigned("{\"sub\":\"x\\ud800\",\"exp\":" + (Instant.now().getEpochSecond() + 600) + "}"),
                signed(java.util.Map.of("sub", "x?")))).isZero();
        // a NUL in the user id is stored, escaped, on every database
        assertThat(seenByOther(signed(java.util.Map.of("sub", "a\u0000b")), signed(java.util.Map.of("sub", "a")))).isZero();
    }

    @Test
    void claimsOfTheWrongType_areUnauthorized() {
        start();
        for (java.util.Map<String, Object> claims : java.util.List.<java.util.Map<String, Object>>of(
                java.util.Map.of("sub", "carol", "tenant_id", 1),
                java.util.Map.of("sub", "carol", "tenant_id", ""),
                java.util.Map.of("sub", 42),
                java.util.Map.of("sub", ""),
                java.util.Map.of("sub", "carol", "tenant_id", java.util.List.of("a")))) {
            TestServer.Reply r = post("query", "{\"resource\":\"tag\"}", signed(claims));
            JsonAssert.assertError(r, 401, "UNAUTHORIZED", null, "$");
            assertThat(r.message()).as("%s", claims).contains("must be a non-empty string");
        }
    }

    @Test
    void eachNamespace_hasItsOwnCounterRowsAndChanges() {
        start();
        String alice = token("alice", null);
        String bob = token("bob", null);
        assertThat(post("push", pushInsert("tag:a1", "alice", "m1"), alice).result().get("cursor").asText()).isEqualTo("1");
        assertThat(post("push", pushInsert("tag:b1", "bob", "m1"), bob).result().get("cursor").asText()).isEqualTo("1");
        // the same id in two namespaces is two records
        assertThat(post("push", pushInsert("tag:shared", "alice's", "m2"), alice).result().get("ok").asBoolean()).isTrue();
        assertThat(post("push", pushInsert("tag:shared", "bob's", "m2"), bob).result().get("ok").asBoolean()).isTrue();

        JsonNode clone = post("clone", "{\"tables\":[\"tag\"]}", alice).result();
        assertJson(clone.get("data"), "{\"tag\":[{\"id\":\"tag:a1\",\"label\":\"alice\"},{\"id\":\"tag:shared\",\"label\":\"alice's\"}]}");
        JsonNode pull = post("pull", "{\"cursors\":{\"tag\":\"0\"}}", bob).result();
        assertJson(pull.get("records").get("tag"), "[{\"id\":\"tag:b1\",\"label\":\"bob\"},{\"id\":\"tag:shared\",\"label\":\"bob's\"}]");
        JsonNode q = post("query", "{\"resource\":\"tag\",\"filters\":{\"id\":\"tag:b1\"}}", alice).result();
        assertThat(q.get("data")).isEmpty();
        assertThat(post("reconcile", "{\"resources\":[\"tag\"]}", alice).result().get("counts").get("tag").asLong()).isEqualTo(2);
    }

    @Test
    void mergeAndDeleteOfAnotherNamespacesId_neverTouchIt() {
        start();
        String alice = token("alice", null);
        String bob = token("bob", null);
        post("push", pushInsert("tag:b1", "bob", "m1"), bob);
        TestServer.Reply merge = post("mutation", "{\"resource\":\"tag\",\"operation\":\"merge\",\"id\":\"tag:b1\",\"record\":{}}", alice);
        assertThat(merge.status()).isEqualTo(404);
        TestServer.Reply del = post("mutation", "{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:b1\"}", alice);
        assertThat(del.status()).isEqualTo(200);
        TestServer.Reply replace = post("mutation", "{\"resource\":\"tag\",\"operation\":\"replace\",\"id\":\"tag:b1\",\"record\":{\"label\":\"x\"}}", alice);
        assertThat(replace.status()).isEqualTo(404);
        JsonNode bobs = post("query", "{\"resource\":\"tag\"}", bob).result().get("data");
        assertJson(bobs, "[{\"id\":\"tag:b1\",\"label\":\"bob\"}]");
        assertThat(post("pull", "{\"cursor\":\"0\"}", alice).result().get("changes")).isEmpty();
    }

    @Test
    void idempotencyKeys_arePerNamespace() {
        start();
        String body = pushInsert("tag:1", "x", "same-mutation-id");
        assertThat(post("push", body, token("alice", null)).result().get("applied")).hasSize(1);
        JsonNode bob = post("push", body, token("bob", null)).result();
        assertThat(bob.get("cursor").asText()).isEqualTo("1");
        assertThat(post("query", "{\"resource\":\"tag\"}", token("bob", null)).result().get("data")).hasSize(1);
    }

    @Test
    void tenantClaim_makesATenantNamespace() {
        start();
        post("push", pushInsert("tag:t", "tenant", "m1"), token("u1", "acme"));
        assertThat(post("query", "{\"resource\":\"tag\"}", token("u1", null)).result().get("data")).isEmpty();
        assertThat(post("query", "{\"resource\":\"tag\"}", token("u1", "acme")).result().get("data")).hasSize(1);
    }

    @Test
    void missingBadOrExpiredToken_is401_statusNeedsNone() {
        start();
        TestServer.Reply r = s.post("query", "{\"resource\":\"tag\"}");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.code()).isEqualTo("UNAUTHORIZED");
        assertThat(r.path()).isEqualTo("$");
        assertThat(post("pull", "{\"cursors\":{}}", "not.a.jwt").status()).isEqualTo(401);
        String wrongKey = JWT.create().withSubject("alice").sign(Algorithm.HMAC256("another-secret-another-secret-another-1"));
        assertThat(post("push", "{\"mutations\":[]}", wrongKey).status()).isEqualTo(401);
        String expired = JWT.create().withSubject("alice").withExpiresAt(Date.from(Instant.now().minusSeconds(3600)))
                .sign(Algorithm.HMAC256(SECRET));
        TestServer.Reply exp = post("clone", "{}", expired);
        assertThat(exp.status()).isEqualTo(401);
        assertThat(exp.message()).isEqualTo("Token expired");
        assertThat(s.get("status").status()).isEqualTo(200);
        TestServer.Reply cookie = s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/query"))
                .header("Cookie", "other=1; datafn_token=" + token("alice", null))
                .POST(HttpRequest.BodyPublishers.ofString("{\"resource\":\"tag\"}")).build());
        assertThat(cookie.status()).isEqualTo(200);
    }

    @Test
    void failingProvider_is500AndNeverFallsBack() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.authContextProvider(ctx -> {
            throw new IllegalStateException("session store down");
        }));
        TestServer.Reply r = s.post("push", pushInsert("tag:1", "x", "m1"));
        assertThat(r.status()).isEqualTo(500);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"INTERNAL\",\"message\":\"Internal error\",\"details\":{\"path\":\"$\"}}}");
    }

    @Test
    void authContextProvider_derivesTheReadmeNamespaces() {
        assertThat(new AuthContext(null, null).namespace()).isEqualTo("datafn");
        assertThat(new AuthContext("u", null).namespace()).isEqualTo("user:u");
        assertThat(new AuthContext("u", "t").namespace()).isEqualTo("tenant:t:user:u");
    }
}
