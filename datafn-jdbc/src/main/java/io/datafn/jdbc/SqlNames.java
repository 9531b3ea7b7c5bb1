package io.datafn.jdbc;

import io.datafn.schema.Relation;
import io.datafn.schema.Resource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Table and index names. Resource tables carry the resource name; internal tables start with {@code datafn_}, a prefix
 * the schema validator reserves. PostgreSQL cuts identifiers at 63 bytes, so long names end in a short hash instead.
 */
final class SqlNames {
    static final String META = "datafn_meta";
    static final String IDEMPOTENCY = "datafn_idempotency";
    static final String CHANGES = "datafn_changes";
    static final String SEQ = "datafn_seq";
    static final String SEED = "datafn_seed";
    static final String GRANTS = "datafn_grants";
    static final String QUARANTINE = "datafn_quarantine";
    static final String FROM = "from_id";
    static final String TO = "to_id";

    private SqlNames() {
    }

    static String table(Resource r) {
        return r.name();
    }

    static String table(String resourceName) {
        return resourceName;
    }

    static String joinTable(Relation rel) {
        return fit("datafn_j_" + rel.from() + "_" + rel.relation());
    }

    static String index(String table, String kind, String... cols) {
        return fit(table + "__" + kind + "_" + String.join("_", cols));
    }

    /** Names longer than PostgreSQL's 63-byte limit get a stable hash suffix. */
    static String fit(String name) {
        if (name.length() <= 63) {
            return name;
        }
        return name.substring(0, 50) + "_" + sha(name).substring(0, 12);
    }

    private static String sha(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
