package io.datafn.mutation;

import java.util.Locale;

/** Mutation operations this server executes; some need a capability of the resource. */
public enum Operation {
    INSERT(null), MERGE(null), REPLACE(null), DELETE(null), RELATE(null), UNRELATE(null), MODIFY_RELATION(null),
    TRASH("trash"), RESTORE("trash"), ARCHIVE("archivable"), UNARCHIVE("archivable"), SHARE("shareable"),
    UNSHARE("shareable");

    private final String capability;

    Operation(String capability) {
        this.capability = capability;
    }

    public static Operation parse(String s) {
        return switch (s) {
            case "insert" -> INSERT;
            case "merge" -> MERGE;
            case "replace" -> REPLACE;
            case "delete" -> DELETE;
            case "relate" -> RELATE;
            case "unrelate" -> UNRELATE;
            case "modifyRelation" -> MODIFY_RELATION;
            case "trash" -> TRASH;
            case "restore" -> RESTORE;
            case "archive" -> ARCHIVE;
            case "unarchive" -> UNARCHIVE;
            case "share" -> SHARE;
            case "unshare" -> UNSHARE;
            default -> null;
        };
    }

    /** The capability the resource must have for this operation, or null. */
    public String capability() {
        return capability;
    }

    public boolean needsRecord() {
        return this == INSERT || this == MERGE || this == REPLACE;
    }

    public boolean isRelationOp() {
        return this == RELATE || this == UNRELATE || this == MODIFY_RELATION;
    }

    /** trash, restore, archive, unarchive: set capability fields of an existing record. */
    public boolean isLifecycle() {
        return this == TRASH || this == RESTORE || this == ARCHIVE || this == UNARCHIVE;
    }

    public boolean isShare() {
        return this == SHARE || this == UNSHARE;
    }

    public String wireName() {
        return this == MODIFY_RELATION ? "modifyRelation" : name().toLowerCase(Locale.ROOT);
    }
}
