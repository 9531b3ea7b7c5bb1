package io.datafn.schema;

/**
 * One navigable end of a relation, seen from {@code source}: how to get from a source row to its related
 * {@code target} rows. Every relation yields a forward link (named {@code relation}) and, when it declares an
 * {@code inverse}, a backward one.
 *
 * @param kind    where the reference lives
 * @param fkField the foreign-key column (on source for {@link Kind#FK_ON_SOURCE}, on target for
 *                {@link Kind#FK_ON_TARGET}); null for joins
 * @param forward true when seen from the relation's {@code from} side (a join row's {@code from} is the source)
 */
public record Link(String name, String source, String target, Kind kind, String fkField, Relation relation,
                   boolean forward) {

    public enum Kind {
        /** source.fk = target.id (many-one forward, one-many inverse): at most one target. */
        FK_ON_SOURCE,
        /** target.fk = source.id (one-many forward, many-one inverse): many targets. */
        FK_ON_TARGET,
        /** a join table row (from, to): many targets. */
        JOIN
    }

    public boolean toOne() {
        return kind == Kind.FK_ON_SOURCE;
    }

    public boolean isManyMany() {
        return kind == Kind.JOIN;
    }
}
