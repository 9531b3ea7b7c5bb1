package io.datafn.schema;

/** What deleting a referenced record does to the records that point at it. */
public enum OnDelete {
    /** Dependants keep their (now dangling) reference; many-many join rows are removed. */
    NONE,
    /** Deleting is refused while any dependant points at the record ({@code RELATION_RESTRICTED}). */
    RESTRICT,
    /** Dependants are deleted too. */
    CASCADE,
    /** Dependants' foreign key is set to null. */
    SET_NULL,
    /** Join rows / references are removed, dependants stay. */
    DETACH;

    public static OnDelete parse(String s) {
        if (s == null) {
            return NONE;
        }
        return switch (s) {
            case "restrict" -> RESTRICT;
            case "cascade" -> CASCADE;
            case "setNull" -> SET_NULL;
            case "detach" -> DETACH;
            default -> null;
        };
    }
}
