package io.datafn.server;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;
import io.datafn.auth.AuthContext;
import io.datafn.auth.NamespaceProvider;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.router.RequestContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;

/**
 * Namespaces from a verified JWT (standalone server, {@code --auth jwt}). The token arrives as
 * {@code Authorization: Bearer <jwt>} or in the cookie {@code datafn_token}; it is verified with an HS256 secret or an
 * RSA/EC public key; the user id comes from a claim ({@code sub} by default) and the optional tenant id from another
 * ({@code tenant_id}), both non-empty strings. The namespace is {@code user:<u>} or {@code tenant:<t>:user:<u>}, the
 * ids escaped so that no two identities share one ({@link AuthContext#namespace()}). A missing, bad or expired token,
 * or a claim of the wrong type, is 401 {@code UNAUTHORIZED}.
 */
public final class JwtAuth implements NamespaceProvider {
    public static final String COOKIE = "datafn_token";

    private final JWTVerifier verifier;
    private final String userClaim;
    private final String tenantClaim;

    public JwtAuth(Algorithm algorithm, String userClaim, String tenantClaim) {
        this.verifier = JWT.require(Objects.requireNonNull(algorithm, "algorithm")).acceptLeeway(5).build();
        this.userClaim = Objects.requireNonNull(userClaim, "user claim");
        this.tenantClaim = Objects.requireNonNull(tenantClaim, "tenant claim");
    }

    /** HS256 with a shared secret (at least 32 bytes, as RFC 7518 asks of HMAC keys). */
    public static Algorithm hmac(String secret) {
        if (secret == null || secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
            throw new IllegalArgumentException("jwt-secret must be at least 32 bytes");
        }
        return Algorithm.HMAC256(secret);
    }

    /** RS256 or ES256 (by key type) with a PEM public key file ({@code -----BEGIN PUBLIC KEY-----}). */
    public static Algorithm publicKey(Path pem) throws IOException {
        String text = Files.readString(pem);
        String b64 = text.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(b64);
        for (String type : new String[]{"RSA", "EC"}) {
            try {
                PublicKey key = KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(der));
                if (key instanceof RSAPublicKey rsa) {
                    return Algorithm.RSA256(rsa, null);
                }
                if (key instanceof ECPublicKey ec) {
                    return switch (ec.getParams().getCurve().getField().getFieldSize()) {
                        case 384 -> Algorithm.ECDSA384(ec, null);
                        case 521 -> Algorithm.ECDSA512(ec, null);
                        default -> Algorithm.ECDSA256(ec, null);
                    };
                }
            } catch (java.security.GeneralSecurityException e) {
                // try the next key type
            }
        }
        throw new IllegalArgumentException("jwt-public-key " + pem + " is not an RSA or EC public key in PEM (X.509) form");
    }

    private DecodedJWT verified(RequestContext ctx) {
        String token = token(ctx);
        if (token == null) {
            throw unauthorized("Missing token (Authorization: Bearer <jwt> or cookie " + COOKIE + ")");
        }
        try {
            return verifier.verify(token);
        } catch (TokenExpiredException e) {
            throw unauthorized("Token expired");
        } catch (JWTVerificationException e) {
            throw unauthorized("Invalid token");
        }
    }

    /**
     * The user (required) and tenant (optional) of a verified token. Both must be non-empty strings when present: a
     * number or an empty string is refused rather than dropped or read as "no tenant", which would put two identities
     * into one namespace.
     */
    private AuthContext context(RequestContext ctx) {
        DecodedJWT jwt = verified(ctx);
        Claim user = jwt.getClaim(userClaim);
        if (user.isMissing() || user.isNull()) {
            throw unauthorized("Token has no '" + userClaim + "' claim");
        }
        String userId = text(user, userClaim);
        Claim tenant = jwt.getClaim(tenantClaim);
        return new AuthContext(userId, tenant.isMissing() || tenant.isNull() ? null : text(tenant, tenantClaim));
    }

    private static String text(Claim claim, String name) {
        // asString() is null for anything but a JSON string
        String v = claim.asString();
        if (v == null || v.isEmpty()) {
            throw unauthorized("Token claim '" + name + "' must be a non-empty string");
        }
        return v;
    }

    @Override
    public String namespace(RequestContext ctx) {
        return context(ctx).namespace();
    }

    @Override
    public String actorId(RequestContext ctx) {
        return context(ctx).userId();
    }

    @Override
    public Identity identify(RequestContext ctx) {
        AuthContext a = context(ctx); // one verification per request
        return new Identity(a.namespace(), a.userId());
    }

    static String token(RequestContext ctx) {
        String auth = ctx.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String t = auth.substring(7).trim();
            return t.isEmpty() ? null : t;
        }
        String cookies = ctx.header("Cookie");
        if (cookies != null) {
            for (String part : cookies.split(";")) {
                String p = part.trim();
                if (p.startsWith(COOKIE + "=")) {
                    String t = p.substring(COOKIE.length() + 1).trim();
                    return t.isEmpty() ? null : t;
                }
            }
        }
        return null;
    }

    private static DatafnException unauthorized(String message) {
        return new DatafnException(ErrorCode.UNAUTHORIZED, message, "$");
    }
}
