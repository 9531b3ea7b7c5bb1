package io.datafn.auth;

/**
 * Who is calling, as an {@link AuthContextProvider} reports it. The namespace follows the README: no user →
 * {@code datafn}; a user → {@code user:<userId>}; a user of a tenant → {@code tenant:<tenantId>:user:<userId>}.
 * Each id is escaped ({@link #escape}) so that the mapping is injective: no two different {@code (tenant, user)}
 * pairs share a namespace, whatever characters the ids hold ({@code :} and {@code %}, NUL, control characters, unpaired
 * surrogates). Ids made of other characters appear unchanged.
 */
public record AuthContext(String userId, String tenantId) {

    public String namespace() {
        if (userId == null || userId.isEmpty()) {
            return "datafn";
        }
        if (tenantId == null || tenantId.isEmpty()) {
            return "user:" + escape(userId);
        }
        return "tenant:" + escape(tenantId) + ":user:" + escape(userId);
    }

    /**
     * Percent-escapes what could make two namespaces equal or could not be stored: {@code %} and {@code :} (the
     * separators), control characters and NUL as {@code %} and two hex digits ({@code :} is {@code %3A}), and an
     * unpaired surrogate as {@code %u} and four hex digits ({@code %uD800}; stored as UTF-8 it would become
     * {@code ?}). Unambiguous: {@code %} is always followed by two hex digits or by {@code u} and four.
     */
    static String escape(String id) {
        StringBuilder out = null;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            String esc = null;
            if (c == '%' || c == ':' || c < 0x20 || c == 0x7F) {
                esc = String.format("%%%02X", (int) c);
            } else if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
                if (out != null) {
                    out.append(c).append(id.charAt(i + 1));
                }
                i++;
                continue;
            } else if (Character.isSurrogate(c)) {
                esc = String.format("%%u%04X", (int) c);
            }
            if (esc != null && out == null) {
                out = new StringBuilder(id.length() + 8).append(id, 0, i);
            }
            if (out != null) {
                out.append(esc != null ? esc : String.valueOf(c));
            }
        }
        return out == null ? id : out.toString();
    }
}
