package io.datafn.auth;

import io.datafn.router.RequestContext;

/** The README's {@code authContextProvider.getContext(ctx)}: who is calling. */
@FunctionalInterface
public interface AuthContextProvider {
    AuthContext context(RequestContext ctx);
}
