package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * The bytes of query answers one request may build ({@code Limits.maxResultBytes}): a query batch or the queries of a
 * transact add each answer as it is made, and the request fails with 400 {@code LIMIT_EXCEEDED} "Result exceeds
 * maximum size" as soon as the total passes the maximum, so a small request cannot make the server hold gigabytes.
 * The size counted is the answer's JSON encoding; counting stops at the first byte past the maximum.
 */
public final class ResultBudget {
    public static final String MESSAGE = "Result exceeds maximum size";

    private final long max;
    private long used;

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
        Counter c = new Counter(max - used);
        try {
            Json.MAPPER.writeValue(c, answer);
        } catch (Over e) {
            throw exceeded(path);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        used += c.count;
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
