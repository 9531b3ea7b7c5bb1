package io.datafn.server;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.lucene.LuceneSearchProvider;
import io.datafn.realtime.WebSocketHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Identity attacks on every endpoint, the WebSocket included (issue: "nobody let in"): forged signatures, a wrong key,
 * expired, not-yet-valid and issued-in-the-future tokens, {@code alg:none} in every spelling, and algorithm confusion
 * (an HS256 token whose secret is the server's RS256 public key; an RS256 token sent to an HS256 server). Each is
 * answered 401 {@code UNAUTHORIZED} at {@code $} in the envelope on every route, a WebSocket is closed with 4401, and
 * nothing is written; the same request with a valid token is served (so the 401 is the token's, not the body's).
 * SQLite only: authentication happens before the store is touched.
 */
class IdentityAttackTest {
    static final String SECRET = NamespaceIsolationTest.SECRET;
    static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    /** Every route that needs an identity, with a valid body: method, path under the base path, body. */
    static final String[][] ROUTES = {
            {"POST", "query", "{\"resource\":\"tag\"}"},
            {"POST", "mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:m\",\"record\":{\"label\":\"m\"}}"},
            {"POST", "transact", "{\"steps\":[{\"mutation\":{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:t\","
                    + "\"mutationId\":\"m-t\",\"record\":{\"label\":\"t\"}}}]}"},
            {"POST", "clone", "{}"},
            {"POST", "pull", "{\"cursors\":{}}"},
            {"POST", "push", "{\"clientId\":\"c1\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:p\","
                    + "\"record\":{\"label\":\"p\"},\"clientId\":\"c1\",\"mutationId\":\"m-p\"}]}"},
            {"POST", "reconcile", "{\"counts\":{\"tag\":0}}"},
            {"POST", "seed", "{\"data\":{\"goal\":[{\"id\":\"goal:s\",\"label\":\"s\"}]}}"},
            {"POST", "search", "{\"query\":\"m\"}"},
            {"GET", "resources/tag", null},
            {"POST", "resources/tag", "{\"clientId\":\"c1\",\"mutationId\":\"m-r\",\"id\":\"tag:r\",\"record\":{\"label\":\"r\"},"
                    + "\"operation\":\"insert\"}"},
            {"PATCH", "resources/tag/tag:m?clientId=c1&mutationId=m-rp", "{\"record\":{\"label\":\"x\"}}"},
            {"DELETE", "resources/tag/tag:m?clientId=c1&mutationId=m-rd", null},
    };

    @TempDir
    Path dir;

    /** The server under attack, closed by the test that started it. */
    TestServer s;

    @Test
    void hs256Server_refusesEveryAttack_onEveryRoute() throws Exception {
        try (TestServer started = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, b -> b.rest(true)
                .searchProvider(new LuceneSearchProvider()).namespaceProvider(new JwtAuth(JwtAuth.hmac(SECRET), "sub", "tenant_id")))) {
            s = started;
            hs256Attacks();
        }
    }

    private void hs256Attacks() throws Exception {
        Algorithm hs = Algorithm.HMAC256(SECRET);
        KeyPair attacker = rsa();
        Map<String, String> attacks = commonAttacks(hs);
        attacks.put("RS256 signed with the attacker's key", valid().sign(Algorithm.RSA256(
                (RSAPublicKey) attacker.getPublic(), (RSAPrivateKey) attacker.getPrivate())));
        attacks.put("HS256 with another secret", valid().sign(Algorithm.HMAC256("another-secret-another-secret-another-1")));
        assertRefusedEverywhere(attacks, valid().sign(hs));
    }

    @Test
    void rs256Server_refusesEveryAttack_theHsRsConfusionIncluded() throws Exception {
        KeyPair server = rsa();
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(server.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        Path pemFile = Files.writeString(dir.resolve("public.pem"), pem);
        JwtAuth auth = new JwtAuth(JwtAuth.publicKey(pemFile), "sub", "tenant_id");
        try (TestServer started = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, b -> b.rest(true)
                .searchProvider(new LuceneSearchProvider()).namespaceProvider(auth))) {
            s = started;
            rs256Attacks(server, pem);
        }
    }

    private void rs256Attacks(KeyPair server, String pem) throws Exception {
        Algorithm rs = Algorithm.RSA256((RSAPublicKey) server.getPublic(), (RSAPrivateKey) server.getPrivate());
        Map<String, String> attacks = commonAttacks(rs);
        // the classic confusion: the public key (as the PEM file, and as its DER bytes) used as an HMAC secret
        attacks.put("HS256 keyed with the public key PEM", valid().sign(Algorithm.HMAC256(pem)));
        attacks.put("HS256 keyed with the public key DER", valid().sign(Algorithm.HMAC256(server.getPublic().getEncoded())));
        attacks.put("HS256 keyed with the public key PEM, header copied from a real token",
                resign(valid().sign(rs), "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", pem.getBytes(StandardCharsets.US_ASCII)));
        KeyPair attacker = rsa();
        attacks.put("RS256 signed with the attacker's key", valid().sign(Algorithm.RSA256(
                (RSAPublicKey) attacker.getPublic(), (RSAPrivateKey) attacker.getPrivate())));
        assertRefusedEverywhere(attacks, valid().sign(rs));
    }

    /** Attacks that do not depend on the server's key type; {@code real} signs like the server's issuer. */
    private static Map<String, String> commonAttacks(Algorithm real) {
        Map<String, String> a = new LinkedHashMap<>();
        String attackerOwn = valid("attacker").sign(real);
        String[] parts = attackerOwn.split("\\.");
        String victimPayload = B64.encodeToString(payload("victim").getBytes(StandardCharsets.UTF_8));
        a.put("payload swapped, signature kept", parts[0] + "." + victimPayload + "." + parts[2]);
        byte[] sig = Base64.getUrlDecoder().decode(parts[2]);
        sig[sig.length / 2] ^= 1;
        a.put("signature with one bit flipped", parts[0] + "." + parts[1] + "." + B64.encodeToString(sig));
        a.put("signature removed", parts[0] + "." + parts[1] + ".");
        a.put("signature of another token", parts[0] + "." + victimPayload + "." + valid("bob").sign(real).split("\\.")[2]);
        a.put("expired an hour ago", valid().withExpiresAt(Date.from(Instant.now().minusSeconds(3600))).sign(real));
        a.put("expired 10 s ago (beyond the 5 s leeway)", valid().withExpiresAt(Date.from(Instant.now().minusSeconds(10))).sign(real));
        a.put("not valid before an hour from now (nbf)", valid().withNotBefore(Date.from(Instant.now().plusSeconds(3600))).sign(real));
        a.put("issued an hour from now (iat)", valid().withIssuedAt(Date.from(Instant.now().plusSeconds(3600))).sign(real));
        for (String none : new String[]{"none", "None", "NONE", "nOnE"}) {
            a.put("alg " + none + ", no signature", unsigned("{\"alg\":\"" + none + "\",\"typ\":\"JWT\"}", payload("victim")));
        }
        a.put("alg none, the real signature kept", B64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8))
                + "." + parts[1] + "." + parts[2]);
        a.put("no alg", unsigned("{\"typ\":\"JWT\"}", payload("victim")));
        a.put("two parts", parts[0] + "." + parts[1]);
        a.put("not base64", "!!!.???.***");
        a.put("JSON that is not an object", B64.encodeToString("[]".getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString("[]".getBytes(StandardCharsets.UTF_8)) + "." + parts[2]);
        return a;
    }

    private void assertRefusedEverywhere(Map<String, String> attacks, String validToken) throws Exception {
        int refused = 0;
        for (Map.Entry<String, String> attack : attacks.entrySet()) {
            for (String[] route : ROUTES) {
                TestServer.Reply r = send(route, attack.getValue());
                String what = attack.getKey() + " on " + route[0] + " " + route[1];
                assertThat(r.status()).as("%s: %s", what, r.body()).isEqualTo(401);
                assertThat(r.body().path("ok").asBoolean(true)).as(what).isFalse();
                assertThat(r.code()).as(what).isEqualTo("UNAUTHORIZED");
                assertThat(r.path()).as(what).isEqualTo("$");
                assertThat(r.message()).as(what).isIn("Invalid token", "Token expired");
                refused++;
            }
            assertThat(webSocketClose(attack.getValue())).as("WebSocket with %s", attack.getKey())
                    .isEqualTo(WebSocketHub.CLOSE_UNAUTHORIZED);
            refused++;
        }
        System.out.printf("IdentityAttackTest: %d attacks x (%d routes + WebSocket) = %d refused%n", attacks.size(),
                ROUTES.length, refused);
        // nothing written by any of them: the victim's namespace is empty
        JsonNode clone = send(new String[]{"POST", "clone", "{}"}, validToken).result();
        assertThat(clone.path("resources").path("tag").path("records").size() + clone.path("resources").path("goal")
                .path("records").size()).as("records written by refused requests: %s", clone).isZero();
        assertThat(send(new String[]{"POST", "pull", "{\"cursors\":{}}"}, validToken).result().path("changes"))
                .as("changes written by refused requests").isEmpty();
        // the same requests with a valid token are served: the 401s were the token's
        List<String> served = new ArrayList<>();
        for (String[] route : ROUTES) {
            TestServer.Reply r = send(route, validToken);
            assertThat(r.status()).as("%s %s with a valid token: %s", route[0], route[1], r.body()).isBetween(200, 299);
            served.add(route[1]);
        }
        assertThat(served).hasSize(ROUTES.length);
        assertThat(webSocketClose(validToken)).as("WebSocket with a valid token stays open").isEqualTo(-1);
    }

    private TestServer.Reply send(String[] route, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url + "/datafn/" + route[1]))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token);
        b.method(route[0], route[2] == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(route[2]));
        return s.send(b.build());
    }

    /** The close code of a WebSocket opened with {@code token}; -1 when it is still open after a second. */
    private int webSocketClose(String token) throws Exception {
        io.datafn.testing.WsClient c = new io.datafn.testing.WsClient();
        c.ws = WebSocketTest.HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                .buildAsync(URI.create(s.url.replace("http", "ws") + "/datafn/ws"), c).get(10, TimeUnit.SECONDS);
        try {
            return c.closed.get(1, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException open) {
            c.ws.abort();
            return -1;
        }
    }

    private static com.auth0.jwt.JWTCreator.Builder valid() {
        return valid("victim");
    }

    private static com.auth0.jwt.JWTCreator.Builder valid(String sub) {
        return JWT.create().withSubject(sub).withExpiresAt(Date.from(Instant.now().plusSeconds(600)));
    }

    private static String payload(String sub) {
        return "{\"sub\":\"" + sub + "\",\"exp\":" + Instant.now().plusSeconds(600).getEpochSecond() + "}";
    }

    private static String unsigned(String header, String payload) {
        return B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".";
    }

    /** {@code token}'s payload under {@code header}, signed HS256 with {@code key}. */
    private static String resign(String token, String header, byte[] key) throws Exception {
        String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + token.split("\\.")[1];
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
        return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }
}
