package io.datafn.mutation;

import java.util.Locale;

/** Mutation operations this server executes. */
public enum Operation {
    INSERT, MERGE, REPLACE, DELETE, RELATE, UNRELATE, MODIFY_RELATION;

    public static Operation parse(String s) {
        return switch (s) {
            case "insert" -> INSERT;
            case "merge" -> MERGE;
            case "replace" -> REPLACE;
            case "delete" -> DELETE;
            case "relate" -> RELATE;
            case "unrelate" -> UNRELATE;
            case "modifyRelation" -> MODIFY_RELATION;
            default -> null;
        };
    }

    public boolean needsRecord() {
        return this == INSERT || this == MERGE || this == REPLACE;
    }

    public boolean isRelationOp() {
        return this == RELATE || this == UNRELATE || this == MODIFY_RELATION;
    }

    public String wireName() {
        return this == MODIFY_RELATION ? "modifyRelation" : name().toLowerCase(Locale.ROOT);
    }
}
