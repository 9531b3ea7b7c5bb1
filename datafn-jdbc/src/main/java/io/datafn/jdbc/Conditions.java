package io.datafn.jdbc;

import io.datafn.query.Filter;
import io.datafn.query.Filter.Op;
import io.datafn.query.Operand;
import io.datafn.query.Value;
import io.datafn.schema.FieldType;
import io.datafn.schema.Link;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.SelectConditionStep;
import org.jooq.Record1;
import org.jooq.Table;
import org.jooq.impl.DSL;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.jooq.impl.DSL.inline;

/**
 * The one translator from the DFQL {@link Filter} tree to SQL conditions. Semantics are two-valued: a row matches or
 * it does not. A plain comparison on a null value is SQL NULL, which a WHERE clause takes as "no match"; every
 * negation built here ({@code $not}, the negative operators, JSON comparisons) is TRUE exactly where its positive
 * is not, NULL included, so that null and absent values behave as PROTOCOL.md "Negative operators and nulls" says
 * and a filter and its {@code $not} always split the rows in two.
 */
final class Conditions {
    private final Schema schema;
    private final Dialect dialect;
    private final Columns columns;
    private final String viewer;
    private int aliasCounter;

    Conditions(Schema schema, Dialect dialect) {
        this(schema, dialect, null);
    }

    /** @param viewer the actor whose view of private resources every relation subquery is limited to */
    Conditions(Schema schema, Dialect dialect, String viewer) {
        this.schema = schema;
        this.dialect = dialect;
        this.columns = new Columns(dialect);
        this.viewer = viewer;
    }

    /**
     * The rows of {@code res} (as {@code alias}) that {@code viewer} may see: every row unless the resource is private
     * (shareable, default private); of a private one, the rows it owns ({@code createdBy}), the rows shared with it,
     * and the rows of owners who shared the whole resource with it; none without a viewer.
     */
    static Condition visible(Resource res, String alias, String viewer) {
        if (!res.isPrivate()) {
            return DSL.trueCondition();
        }
        if (viewer == null) {
            return DSL.falseCondition();
        }
        Field<String> owner = DSL.field(DSL.name(alias, "createdBy"), String.class);
        String g = alias + "g";
        Field<String> grantRecord = DSL.field(DSL.name(g, "record_id"), String.class);
        return owner.isNotNull().and(owner.eq(viewer)).or(DSL.exists(DSL.selectOne()
                .from(DSL.table(DSL.name(SqlNames.GRANTS)).as(g))
                .where(DSL.field(DSL.name(g, "ns"), String.class).eq(DSL.field(DSL.name(alias, Columns.NS), String.class)))
                .and(DSL.field(DSL.name(g, "resource"), String.class).eq(res.name()))
                .and(DSL.field(DSL.name(g, "principal"), String.class).eq(viewer))
                .and(grantRecord.eq(DSL.field(DSL.name(alias, "id"), String.class))
                        .or(grantRecord.eq("").and(DSL.field(DSL.name(g, "granted_by"), String.class).eq(owner))))));
    }

    /** A fresh table alias for a correlated subquery or join. */
    String alias() {
        return "t" + (++aliasCounter);
    }

    /** Resolves an alias reference (having, group sort) to its SQL expression and value type. */
    record AliasColumn(Field<Object> expr, FieldType type) {
    }

    Condition translate(Filter f, Resource res, String alias, Function<String, AliasColumn> aliases) {
        if (f instanceof Filter.Const c) {
            return c.value() ? DSL.trueCondition() : DSL.falseCondition();
        }
        if (f instanceof Filter.And a) {
            List<Condition> items = new ArrayList<>();
            a.items().forEach(i -> items.add(translate(i, res, alias, aliases)));
            return DSL.and(items);
        }
        if (f instanceof Filter.Or o) {
            List<Condition> items = new ArrayList<>();
            o.items().forEach(i -> items.add(translate(i, res, alias, aliases)));
            return DSL.or(items);
        }
        if (f instanceof Filter.Not n) {
            return not(translate(n.inner(), res, alias, aliases));
        }
        if (f instanceof Filter.Quantified q) {
            return quantified(q, alias, aliases);
        }
        Filter.Compare c = (Filter.Compare) f;
        if (c.operand() instanceof Operand.AliasRef ref) {
            AliasColumn col = aliases.apply(ref.alias());
            return compare(col.expr(), col.type(), List.of(), c.op(), c.values());
        }
        Operand.FieldRef ref = (Operand.FieldRef) c.operand();
        Field<Object> col = columns.column(alias, ref.field(), ref.type());
        return compare(col, ref.type(), ref.jsonPath(), c.op(), c.values());
    }

    /** Two-valued NOT: a NULL inner condition counts as false, so its negation is true. */
    static Condition not(Condition inner) {
        return DSL.condition(DSL.when(inner, inline(false)).otherwise(inline(true)));
    }

    private Condition quantified(Filter.Quantified q, String outer, Function<String, AliasColumn> aliases) {
        Link link = q.link();
        Resource target = schema.resource(link.target());
        String b = alias();
        Condition inner = translate(q.inner(), target, b, aliases);
        return switch (q.quantifier()) {
            case ANY -> DSL.exists(related(link, outer, b, inner));
            case NONE -> DSL.notExists(related(link, outer, b, inner));
            case ALL -> DSL.exists(related(link, outer, b, DSL.trueCondition()))
                    // a second, separate subquery scope: it may reuse alias b, which inner refers to
                    .and(DSL.notExists(related(link, outer, b, not(inner))));
        };
    }

    /** {@code SELECT 1 FROM target b [JOIN join j] WHERE b is related to the outer row AND extra}. */
    SelectConditionStep<Record1<Integer>> related(Link link, String outer, String b, Condition extra) {
        Table<?> target = DSL.table(DSL.name(SqlNames.table(link.target()))).as(b);
        Field<String> outerNs = DSL.field(DSL.name(outer, Columns.NS), String.class);
        Field<String> outerId = DSL.field(DSL.name(outer, "id"), String.class);
        Field<String> bNs = DSL.field(DSL.name(b, Columns.NS), String.class);
        Field<String> bId = DSL.field(DSL.name(b, "id"), String.class);
        extra = extra.and(visible(schema.resource(link.target()), b, viewer)); // no rule sees past what the viewer may see
        return switch (link.kind()) {
            case FK_ON_SOURCE -> DSL.selectOne().from(target)
                    .where(bNs.eq(outerNs)).and(bId.eq(DSL.field(DSL.name(outer, link.fkField()), String.class))).and(extra);
            case FK_ON_TARGET -> DSL.selectOne().from(target)
                    .where(bNs.eq(outerNs)).and(DSL.field(DSL.name(b, link.fkField()), String.class).eq(outerId)).and(extra);
            case JOIN -> {
                String j = b + "j";
                String mine = link.forward() ? SqlNames.FROM : SqlNames.TO;
                String theirs = link.forward() ? SqlNames.TO : SqlNames.FROM;
                Table<?> jt = DSL.table(DSL.name(SqlNames.joinTable(link.relation()))).as(j);
                yield DSL.selectOne().from(jt).join(target)
                        .on(bNs.eq(DSL.field(DSL.name(j, Columns.NS), String.class))
                                .and(bId.eq(DSL.field(DSL.name(j, theirs), String.class))))
                        .where(DSL.field(DSL.name(j, Columns.NS), String.class).eq(outerNs))
                        .and(DSL.field(DSL.name(j, mine), String.class).eq(outerId)).and(extra);
            }
        };
    }

    /** One comparison of a column or an aggregate/group expression of {@code type} with the parsed values. */
    private Condition compare(Field<Object> col, FieldType type, List<String> jsonPath, Op op, List<Value> v) {
        if (type.isJson() || !jsonPath.isEmpty()) {
            return jsonCompare(col, jsonPath, op, v);
        }
        return switch (op) {
            case EQ -> col.eq(bind(type, v, 0));
            case NE -> col.isNull().or(col.ne(bind(type, v, 0)));
            case GT -> col.gt(bind(type, v, 0));
            case GTE -> col.ge(bind(type, v, 0));
            case LT -> col.lt(bind(type, v, 0));
            case LTE -> col.le(bind(type, v, 0));
            case IN -> col.in(binds(type, v));
            case NOT_IN -> col.isNull().or(col.notIn(binds(type, v)));
            case BETWEEN -> col.between(bind(type, v, 0), bind(type, v, 1));
            case NOT_BETWEEN -> col.isNull().or(col.notBetween(bind(type, v, 0), bind(type, v, 1)));
            case LIKE -> text(col).like(dialect.likePattern(string(v)));
            case NOT_LIKE -> col.isNull().or(text(col).notLike(dialect.likePattern(string(v))));
            case ILIKE -> ilike(text(col), string(v));
            case NOT_ILIKE -> col.isNull().or(not(ilike(text(col), string(v))));
            case IS_NULL -> col.isNull();
            case IS_NOT_NULL -> col.isNotNull();
            case IS_EMPTY -> type.isText() ? col.isNull().or(text(col).eq("")) : col.isNull();
            case IS_NOT_EMPTY -> type.isText() ? col.isNotNull().and(text(col).ne("")) : col.isNotNull();
            case CONTAINS -> contains(text(col), string(v));
            case STARTS_WITH -> string(v).isEmpty() ? col.isNotNull()
                    : DSL.substring(text(col), inline(1), DSL.length(DSL.val(string(v)))).eq(DSL.val(string(v)));
            case ENDS_WITH -> string(v).isEmpty() ? col.isNotNull()
                    : DSL.right(text(col), DSL.length(DSL.val(string(v)))).eq(DSL.val(string(v)));
        };
    }

    private Condition ilike(Field<String> col, String pattern) {
        return DSL.lower(col).like(DSL.lower(DSL.val(dialect.likePattern(pattern))));
    }

    private static Condition contains(Field<String> col, String needle) {
        return needle.isEmpty() ? col.isNotNull() : DSL.position(col, DSL.val(needle)).gt(inline(0));
    }

    @SuppressWarnings("unchecked")
    private static Field<String> text(Field<?> f) {
        return (Field<String>) f;
    }

    /** The text of a text operator's one value (like, contains, startsWith, ...). */
    private static String string(List<Value> v) {
        return ((Value.Text) v.get(0)).value();
    }

    private Field<Object> bind(FieldType type, List<Value> v, int i) {
        return columns.bind(type, v.get(i));
    }

    private List<Field<Object>> binds(FieldType type, List<Value> v) {
        List<Field<Object>> out = new ArrayList<>();
        v.forEach(item -> out.add(columns.bind(type, item)));
        return out;
    }

    private Condition jsonCompare(Field<Object> col, List<String> path, Op op, List<Value> v) {
        switch (op) {
            case IS_NULL, IS_NOT_NULL, IS_EMPTY, IS_NOT_EMPTY -> {
                Condition isNull = col.isNull().or(dialect.jsonEquals(col, path, "null"))
                        .or(DSL.condition("{0} is null", dialect.jsonScalar(col, path, Dialect.ScalarKind.ANY)));
                Condition empty = isNull.or(dialect.jsonEquals(col, path, "\"\"")).or(dialect.jsonEquals(col, path, "[]"));
                return switch (op) {
                    case IS_NULL -> isNull;
                    case IS_NOT_NULL -> not(isNull);
                    case IS_EMPTY -> empty;
                    default -> not(empty);
                };
            }
            case CONTAINS -> {
                Value needle = v.get(0);
                Condition element = dialect.jsonContains(col, path, needle.json());
                if (needle instanceof Value.Text t) {
                    Field<String> s = text(dialect.jsonScalar(col, path, Dialect.ScalarKind.TEXT));
                    return definite(element).or(definite(contains(s, t.value())));
                }
                return definite(element);
            }
            case IN, NOT_IN -> {
                List<Condition> any = new ArrayList<>();
                v.forEach(item -> any.add(jsonCompare(col, path, Op.EQ, List.of(item))));
                Condition in = DSL.or(any);
                return op == Op.IN ? in : not(in);
            }
            case EQ, NE -> {
                Value value = v.get(0);
                Condition eq = value instanceof Value.Json ? definite(dialect.jsonEquals(col, path, value.json()))
                        : scalarCompare(col, path, Op.EQ, value);
                return op == Op.EQ ? eq : not(eq);
            }
            case BETWEEN, NOT_BETWEEN -> {
                // both are false on a json value, whatever the bounds (as they have always been)
                return DSL.falseCondition();
            }
            default -> {
                Value value = v.get(0);
                if (value instanceof Value.Json) {
                    return DSL.falseCondition();
                }
                Condition c = scalarCompare(col, path, op.negative() ? positive(op) : op, value);
                return op.negative() ? not(c) : c;
            }
        }
    }

    private static Op positive(Op op) {
        return switch (op) {
            case NOT_LIKE -> Op.LIKE;
            case NOT_ILIKE -> Op.ILIKE;
            default -> op;
        };
    }

    /** A comparison with the scalar at {@code path} when it is of the value's kind (number, boolean or text). */
    private Condition scalarCompare(Field<Object> col, List<String> path, Op op, Value v) {
        Dialect.ScalarKind kind = v instanceof Value.Number ? Dialect.ScalarKind.NUMBER
                : v instanceof Value.Bool ? Dialect.ScalarKind.BOOLEAN : Dialect.ScalarKind.TEXT;
        FieldType type = switch (kind) {
            case NUMBER -> FieldType.NUMBER;
            case BOOLEAN -> FieldType.BOOLEAN;
            default -> FieldType.STRING;
        };
        Field<Object> scalar = dialect.jsonScalar(col, path, kind);
        Condition c = compare(scalar, type, List.of(), op, List.of(v));
        return definite(c);
    }

    /** TRUE or FALSE, never NULL. */
    static Condition definite(Condition c) {
        return DSL.condition(DSL.when(c, inline(true)).otherwise(inline(false)));
    }
}
