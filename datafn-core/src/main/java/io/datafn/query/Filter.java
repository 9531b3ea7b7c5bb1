package io.datafn.query;

import io.datafn.schema.Link;

import java.util.List;

/**
 * The parsed DFQL filter tree. Values are already checked and normalised to the operand's type as {@link Value}s
 * (dates as epoch milliseconds); comparisons that can never hold for a type are folded to {@link Const} by the parser.
 * Semantics are two-valued (PROTOCOL.md "Negative operators and nulls").
 */
public sealed interface Filter permits Filter.And, Filter.Or, Filter.Not, Filter.Compare, Filter.Quantified,
        Filter.Const {

    record And(List<Filter> items) implements Filter {
        public And {
            items = List.copyOf(items);
        }
    }

    record Or(List<Filter> items) implements Filter {
        public Or {
            items = List.copyOf(items);
        }
    }

    record Not(Filter inner) implements Filter {
    }

    /**
     * {@code operand op values}: no value for the null and empty tests, {@code [low, high]} for BETWEEN/NOT_BETWEEN,
     * one or more for IN/NOT_IN, one for every other operator; never {@link Value#NULL} (a null is a null test).
     */
    record Compare(Operand operand, Op op, List<Value> values) implements Filter {
        public Compare {
            values = List.copyOf(values);
            int n = values.size();
            boolean fits = switch (op) {
                case IS_NULL, IS_NOT_NULL, IS_EMPTY, IS_NOT_EMPTY -> n == 0;
                case BETWEEN, NOT_BETWEEN -> n == 2;
                case IN, NOT_IN -> n > 0;
                default -> n == 1;
            };
            if (!fits || values.contains(Value.NULL)) {
                throw new IllegalArgumentException(op + " cannot compare with " + values);
            }
        }

        /** A comparison with one value. */
        public Compare(Operand operand, Op op, Value value) {
            this(operand, op, List.of(value));
        }

        /** A null or empty test. */
        public Compare(Operand operand, Op op) {
            this(operand, op, List.of());
        }

        /** The one value of a single-value comparison. */
        public Value value() {
            return values.get(0);
        }
    }

    /** A condition on the rows related through {@code link}; {@code inner} is relative to the link's target. */
    record Quantified(Link link, Quantifier quantifier, Filter inner) implements Filter {
    }

    record Const(boolean value) implements Filter {
    }

    enum Quantifier { ANY, ALL, NONE }

    enum Op {
        EQ, NE, GT, GTE, LT, LTE, LIKE, ILIKE, NOT_LIKE, NOT_ILIKE, IN, NOT_IN, BETWEEN, NOT_BETWEEN,
        IS_NULL, IS_NOT_NULL, IS_EMPTY, IS_NOT_EMPTY, CONTAINS, STARTS_WITH, ENDS_WITH;

        /** Negative operators are true on a null or absent value. */
        public boolean negative() {
            return this == NE || this == NOT_IN || this == NOT_LIKE || this == NOT_ILIKE || this == NOT_BETWEEN;
        }
    }

    static Filter and(List<Filter> items) {
        return items.size() == 1 ? items.get(0) : new And(items);
    }
}
