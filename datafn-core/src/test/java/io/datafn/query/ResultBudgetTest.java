package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ResultBudget}: the bound it measures an answer by is never below the answer's encoding, and a sequence of
 * answers fails at the same answer, with the same error, as when every answer is encoded and counted.
 */
class ResultBudgetTest {
    private static final String[] TEXTS = {"", "a", "héllo", "\u0001\n\"\\", "日本語", "\uD83D\uDE00", "x".repeat(40)};

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    /** A random answer-like tree: objects, arrays, texts with escapes and non-ASCII, numbers of every node kind. */
    static JsonNode tree(Random r, int depth) {
        int kind = depth > 3 ? r.nextInt(6) : r.nextInt(8);
        return switch (kind) {
            case 0 -> Json.NODES.textNode(TEXTS[r.nextInt(TEXTS.length)]);
            case 1 -> Json.NODES.numberNode(r.nextInt(3) == 0 ? Long.MIN_VALUE : r.nextLong());
            case 2 -> Json.NODES.numberNode(r.nextInt(3) == 0 ? -Double.MIN_NORMAL : r.nextDouble() * 1e300);
            case 3 -> Json.NODES.booleanNode(r.nextBoolean());
            case 4 -> Json.NODES.nullNode();
            case 5 -> Json.NODES.numberNode(new BigDecimal("1e-40").add(BigDecimal.valueOf(r.nextInt())));
            case 6 -> {
                ArrayNode a = Json.array();
                for (int i = r.nextInt(5); i > 0; i--) {
                    a.add(tree(r, depth + 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = Json.object();
                for (int i = r.nextInt(5); i > 0; i--) {
                    o.set(TEXTS[r.nextInt(TEXTS.length)] + i, tree(r, depth + 1));
                }
                yield o;
            }
        };
    }

    @Property(tries = 500)
    void theBound_isNeverBelowTheEncoding(@ForAll("seeds") long seed) {
        JsonNode n = tree(new Random(seed), 0);
        long b = ResultBudget.bound(n, Long.MAX_VALUE);
        if (b >= 0) {
            assertThat(b).as("%s", n).isGreaterThanOrEqualTo(Json.bytes(n).length);
        }
    }

    @Property(tries = 500)
    void answersFailAtTheSameAnswer_asWhenEachIsEncoded(@ForAll("seeds") long seed, @ForAll @Size(min = 1, max = 6) List<@LongRange(min = 0, max = 3) Long> ignored,
                                                      @ForAll @LongRange(min = 1, max = 3000) long max) {
        Random r = new Random(seed);
        ResultBudget budget = new ResultBudget(max);
        long total = 0;
        for (int i = 0; i < ignored.size(); i++) {
            JsonNode answer = tree(r, 0);
            total += Json.bytes(answer).length;
            String path = "steps[" + i + "]";
            if (total > max) {
                assertThatThrownBy(() -> budget.add(answer, path)).isInstanceOfSatisfying(DatafnException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED);
                    assertThat(e.getMessage()).isEqualTo(ResultBudget.MESSAGE);
                    assertThat(e.path()).isEqualTo(path);
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.details()).isEqualTo(Map.of("max", max));
                });
                return;
            }
            budget.add(answer, path);
        }
    }
}
