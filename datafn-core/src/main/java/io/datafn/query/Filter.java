package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.schema.Link;

import java.util.List;

/**
 * The parsed DFQL filter tree. Values are already checked and normalised to the operand's type (dates as epoch
 * milliseconds); comparisons that can never hold for a type are folded to {@link Const} by the parser.
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

    /** {@code operand op value}; {@code value} is an array for IN/NOT_IN/BETWEEN/NOT_BETWEEN, unused for null tests. */
    record Compare(Operand operand, Op op, JsonNode value) implements Filter {
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
