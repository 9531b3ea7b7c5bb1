package io.datafn.schema;

/** Relation cardinalities of the schema's {@code relations[].type}. */
public enum RelationType {
    ONE_MANY("one-many"), MANY_ONE("many-one"), MANY_MANY("many-many");

    private final String wire;

    RelationType(String wire) {
        this.wire = wire;
    }

    public String wireName() {
        return wire;
    }

    public static RelationType parse(String s) {
        for (RelationType t : values()) {
            if (t.wire.equals(s)) {
                return t;
            }
        }
        return null;
    }
}
