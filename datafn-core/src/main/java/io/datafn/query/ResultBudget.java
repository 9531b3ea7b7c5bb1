package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The bytes of query answers one request may build ({@code Limits.maxResultBytes}): a query batch or the queries of a
 * transact add each answer as it is made, and the request fails with 400 {@code LIMIT_EXCEEDED} "Result exceeds
 * maximum size" as soon as the total passes the maximum, so a small request cannot make the server hold gigabytes.
 * The size counted is the answer's JSON encoding; counting stops at the first byte past the maximum.
 *
 * <p>Answers are not encoded for this unless they may pass the maximum: each is first measured by an upper bound of
 * its encoding ({@link #bound}, a walk of the tree that writes nothing), and only when the bounds of the answers so
 * far pass the maximum are those answers encoded and counted exactly, so the same requests fail as if every answer
 * were encoded.
 */
public final class ResultBudget {
    public static final String MESSAGE = "Result exceeds maximum size";

    private final long max;
    /** Exact bytes of the answers counted so far. */
    private long used;
    /** Upper bound of the answers added since, which are not counted yet. */
    private long pendingBound;
    private final List<JsonNode> pending = new ArrayList<>();

    public ResultBudget(long max) {
        this.max = max;
    }

    /**
     * Adds {@code answer}'s encoded size.
     *
     * @param path the error's path when the total passes the maximum ({@code $}, {@code steps[i]})
     * @throws DatafnException {@code LIMIT_EXCEEDED} with details {@code max}
     */
    public void add(JsonNode answer, String path) {
        long b = bound(answer, max - used - pendingBound);
        if (b >= 0) {
            pending.add(answer);
            pendingBound += b;
            return;
        }
        for (JsonNode earlier : pending) {
            used += count(earlier, max - used, path);
        }
        pending.clear();
        pendingBound = 0;
        used += count(answer, max - used, path);
    }

    /** The encoded size of {@code answer}, or the error when it passes {@code room}. */
    private long count(JsonNode answer, long room, String path) {
        Counter c = new Counter(room);
        try {
            Json.MAPPER.writeValue(c, answer);
        } catch (Over e) {
            throw exceeded(path);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return c.count;
    }

    /**
     * At least as many bytes as Jackson writes for {@code n} (compact output: a character takes at most 6 bytes,
     * as a unicode escape; a double at most 25, a long 20), or -1 as soon as that bound passes {@code room} or for a node
     * of another kind (then the answer is encoded to be counted).
     */
    static long bound(JsonNode n, long room) {
        long b = switch (n.getNodeType()) {
            case STRING -> 2 + 6L * n.textValue().length();
            case NUMBER -> n.isIntegralNumber() && n.canConvertToLong() && !n.isBigInteger() ? 20
                    : n.isDouble() || n.isFloat() ? 25 : -1;
            case BOOLEAN, NULL -> 5;
            case ARRAY -> {
                long sum = 2;
                for (JsonNode e : n) {
                    long e1 = bound(e, room - sum);
                    if (e1 < 0) {
                        yield -1;
                    }
                    sum += e1 + 1;
                }
                yield sum;
            }
            case OBJECT -> {
                long sum = 2;
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    sum += 2 + 6L * e.getKey().length() + 2;
                    long v = bound(e.getValue(), room - sum);
                    if (v < 0) {
                        yield -1;
                    }
                    sum += v;
                }
                yield sum;
            }
            default -> -1;
        };
        return b > room ? -1 : b;
    }

    private DatafnException exceeded(String path) {
        return new DatafnException(ErrorCode.LIMIT_EXCEEDED, MESSAGE, path, 400, Map.of("max", max), null);
    }

    private static final class Over extends IOException {
        private static final long serialVersionUID = 1L;

        Over() {
            super(null, null);
        }
    }

    /** Counts bytes and gives up (throws {@link Over}) past {@code room}. */
    private static final class Counter extends OutputStream {
        private final long room;
        long count;

        Counter(long room) {
            this.room = room;
        }

        @Override
        public void write(int b) throws IOException {
            add(1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            add(len);
        }

        private void add(long n) throws Over {
            count += n;
            if (count > room) {
                throw new Over();
            }
        }
    }
}
