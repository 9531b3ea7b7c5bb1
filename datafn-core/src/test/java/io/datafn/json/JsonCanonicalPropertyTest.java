package io.datafn.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Json#canonical}: the form schemaHash and idempotency comparison rely on. It must not depend on the order in
 * which object keys arrived, nor on how a number was spelled, and it must read back to itself.
 */
class JsonCanonicalPropertyTest {

    @Property(tries = 500)
    void canonical_isStableUnderKeyReordering(@ForAll("documents") JsonNode doc, @ForAll Random random) {
        JsonNode shuffled = reorderKeys(doc, random);
        assertThat(Json.canonical(shuffled)).isEqualTo(Json.canonical(doc));
    }

    @Property(tries = 300)
    void canonical_readsBackToItself(@ForAll("documents") JsonNode doc) {
        String canonical = Json.canonical(doc);
        assertThat(Json.canonical(Json.parse(canonical))).isEqualTo(canonical);
        assertThat(Json.canonical(Json.parse(Json.text(doc)))).isEqualTo(canonical);
    }

    @Property(tries = 300)
    void canonical_ignoresHowAnIntegralNumberIsSpelled(@ForAll("documents") JsonNode doc, @ForAll Random random) {
        assertThat(Json.canonical(respellNumbers(doc, random))).isEqualTo(Json.canonical(doc));
    }

    @Example
    void canonical_sortsKeysByCodeUnitAndKeepsNulls() {
        JsonNode doc = Json.parse("{\"b\":1,\"a\":{\"y\":null,\"x\":[2.0,\"s\"]},\"\\uD83D\\uDE00\":0,\"\\uFF21\":0}");
        assertThat(Json.canonical(doc)).isEqualTo("{\"a\":{\"x\":[2,\"s\"],\"y\":null},\"b\":1,\"\uD83D\uDE00\":0,\"\uFF21\":0}");
    }

    @Provide
    Arbitrary<JsonNode> documents() {
        return value(3);
    }

    private static Arbitrary<JsonNode> value(int depth) {
        Arbitrary<JsonNode> scalar = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(Json.NODES.nullNode())),
                Tuple.of(1, Arbitraries.of(true, false).map(Json.NODES::booleanNode)),
                Tuple.of(2, Arbitraries.longs().between(-1_000_000_000_000L, 1_000_000_000_000L).map(Json.NODES::numberNode)),
                Tuple.of(1, Arbitraries.doubles().between(-1e6, 1e6).ofScale(3).map(Json.NODES::numberNode)),
                Tuple.of(2, key().map(Json.NODES::textNode)));
        if (depth == 0) {
            return scalar;
        }
        Arbitrary<JsonNode> inner = value(depth - 1);
        Arbitrary<JsonNode> array = inner.list().ofMaxSize(4).map(items -> {
            ArrayNode a = Json.array();
            items.forEach(a::add);
            return a;
        });
        Arbitrary<JsonNode> object = Combinators.combine(key(), inner).as(Tuple::of).list().ofMaxSize(6)
                .uniqueElements(Tuple.Tuple2::get1).map(entries -> {
                    ObjectNode o = Json.object();
                    entries.forEach(e -> o.set(e.get1(), e.get2()));
                    return o;
                });
        return Arbitraries.frequencyOf(Tuple.of(3, scalar), Tuple.of(1, array), Tuple.of(3, object));
    }

    /** Keys that order differently by code unit, by code point and by locale: case, accents, astral characters. */
    private static Arbitrary<String> key() {
        return Arbitraries.of("a", "b", "B", "é", "e", "😀", "Ａ", "_", "\"", "\\", "\n", "\u0001", "id", "10", "9", " ", "")
                .list().ofMaxSize(3).map(parts -> String.join("", parts));
    }

    /** The same document with every object's keys inserted in a random order. */
    private static JsonNode reorderKeys(JsonNode node, Random random) {
        if (node.isObject()) {
            List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            Collections.shuffle(keys, random);
            ObjectNode o = Json.object();
            keys.forEach(k -> o.set(k, reorderKeys(node.get(k), random)));
            return o;
        }
        if (node.isArray()) {
            ArrayNode a = Json.array();
            node.forEach(item -> a.add(reorderKeys(item, random)));
            return a;
        }
        return node;
    }

    /** The same document with integral numbers spelled as long, double or decimal ({@code 5}, {@code 5.0}, {@code 5.00}). */
    private static JsonNode respellNumbers(JsonNode node, Random random) {
        if (node.isObject()) {
            ObjectNode o = Json.object();
            node.fieldNames().forEachRemaining(k -> o.set(k, respellNumbers(node.get(k), random)));
            return o;
        }
        if (node.isArray()) {
            ArrayNode a = Json.array();
            node.forEach(item -> a.add(respellNumbers(item, random)));
            return a;
        }
        if (node.isIntegralNumber()) {
            long v = node.asLong();
            return switch (random.nextInt(3)) {
                case 0 -> Json.NODES.numberNode(v);
                case 1 -> Json.NODES.numberNode((double) v);
                default -> Json.NODES.numberNode(BigDecimal.valueOf(v).setScale(2));
            };
        }
        return node;
    }
}
