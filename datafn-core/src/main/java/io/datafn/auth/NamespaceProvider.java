package io.datafn.auth;

import io.datafn.router.RequestContext;

/**
 * Decides each request's namespace and actor (the original's {@code namespaceProvider}). A provider that throws makes
 * the request fail with 500; there is never a fall back to a shared namespace. Throw a
 * {@link io.datafn.error.DatafnException} with code {@code UNAUTHORIZED} to answer 401. It is asked once per request
 * (never for {@code status} unless rate limiting is on, which keys on the namespace and asks before the body is read;
 * a caller it refuses is then limited as {@code anonymous} and gets its error after the body checks).
 */
public interface NamespaceProvider {
    String namespace(RequestContext ctx);

    /** The actor id the {@code audit} capability records; null when unknown. */
    default String actorId(RequestContext ctx) {
        return null;
    }

    /** Namespace and actor of a request, resolved together (override when both come from one verification). */
    default Identity identify(RequestContext ctx) {
        return new Identity(namespace(ctx), actorId(ctx));
    }

    /** A request's namespace and actor id (null when unknown). */
    record Identity(String namespace, String actorId) {
    }

    /** Everything in the default namespace {@code datafn}, no actor. */
    NamespaceProvider SINGLE = ctx -> "datafn";

    /** A namespace per user/tenant from an {@link AuthContextProvider} (the README's {@code authContextProvider}). */
    static NamespaceProvider fromAuthContext(AuthContextProvider provider) {
        return new NamespaceProvider() {
            @Override
            public String namespace(RequestContext ctx) {
                AuthContext a = provider.context(ctx);
                if (a == null) {
                    throw new IllegalStateException("authContextProvider returned null");
                }
                return a.namespace();
            }

            @Override
            public String actorId(RequestContext ctx) {
                AuthContext a = provider.context(ctx);
                return a == null ? null : a.userId();
            }

            @Override
            public Identity identify(RequestContext ctx) {
                AuthContext a = provider.context(ctx);
                if (a == null) {
                    throw new IllegalStateException("authContextProvider returned null");
                }
                return new Identity(a.namespace(), a.userId());
            }
        };
    }
}
