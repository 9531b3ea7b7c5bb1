package io.datafn.auth;

/**
 * Who is calling, as an {@link AuthContextProvider} reports it. The namespace follows the README: no user →
 * {@code datafn}; a user → {@code user:<userId>}; a user of a tenant → {@code tenant:<tenantId>:user:<userId>}.
 */
public record AuthContext(String userId, String tenantId) {

    public String namespace() {
        if (userId == null || userId.isEmpty()) {
            return "datafn";
        }
        if (tenantId == null || tenantId.isEmpty()) {
            return "user:" + userId;
        }
        return "tenant:" + tenantId + ":user:" + userId;
    }
}
