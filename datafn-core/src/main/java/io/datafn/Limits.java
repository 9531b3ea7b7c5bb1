package io.datafn;

/**
 * Request limits (PROTOCOL.md "Plugins, authorization, limits, REST"). Every value must be positive.
 *
 * @param maxLimit          largest query {@code limit}; also the page size when {@code limit} is absent (default 100)
 * @param maxTransactSteps  steps per transact request (default 100)
 * @param maxPayloadBytes   request body size (default 5 242 880)
 * @param maxPullLimit      changes per pull page (default 1000)
 * @param maxBatchSize      mutations per batch or push, queries per query batch (default 500)
 * @param maxIdLength       record id length (default 255)
 * @param transactStepsConfigured whether {@code maxTransactSteps} was set explicitly (status only shows it then)
 * @param maxPushAttempts   pushes of one mutation (same clientId and mutationId) answered with a retryable error
 *                          before it is answered not retryable and quarantined (default 5)
 * @param maxResultBytes    bytes of query results one request may build (a query batch, the queries of a transact),
 *                          counted as each query's answer is added; past it the request is answered 400
 *                          {@code LIMIT_EXCEEDED} "Result exceeds maximum size" (default 33 554 432, 32 MiB)
 */
public record Limits(int maxLimit, int maxTransactSteps, long maxPayloadBytes, int maxPullLimit, int maxBatchSize,
                     int maxIdLength, boolean transactStepsConfigured, int maxPushAttempts, long maxResultBytes) {
    public static final int MAX_SELECT_TOKENS = 50;
    public static final int MAX_FILTER_KEYS = 20;
    public static final int MAX_SORT_FIELDS = 10;
    public static final int MAX_AGGREGATIONS = 20;
    public static final int MAX_FILTER_DEPTH = 10;
    public static final int MAX_RELATION_DEPTH = 5;
    public static final int MAX_LIKE_PATTERN = 200;
    /**
     * Conditions in one filter ({@code filters}, {@code having}, a mutation's {@code if}): a comparison counts one, an
     * {@code in}/{@code not_in} list one per value; also the largest {@code $and}/{@code $or} array and {@code in}
     * list. SQLite refuses expressions nested deeper than 1 000 (SQLITE_MAX_EXPR_DEPTH), and an {@code $or} of n
     * branches is n deep; 500 keeps every filter well inside that on every database.
     */
    public static final int MAX_FILTER_CONDITIONS = 500;

    public Limits {
        positive("maxLimit", maxLimit);
        positive("maxTransactSteps", maxTransactSteps);
        positive("maxPayloadBytes", maxPayloadBytes);
        positive("maxPullLimit", maxPullLimit);
        positive("maxBatchSize", maxBatchSize);
        positive("maxIdLength", maxIdLength);
        positive("maxPushAttempts", maxPushAttempts);
        positive("maxResultBytes", maxResultBytes);
    }

    public static Limits defaults() {
        return new Limits(100, 100, 5_242_880L, 1000, 500, 255, false, 5, 33_554_432L);
    }

    public Limits withMaxLimit(int v) {
        return new Limits(v, maxTransactSteps, maxPayloadBytes, maxPullLimit, maxBatchSize, maxIdLength, transactStepsConfigured, maxPushAttempts, maxResultBytes);
    }

    public Limits withMaxTransactSteps(int v) {
        return new Limits(maxLimit, v, maxPayloadBytes, maxPullLimit, maxBatchSize, maxIdLength, true, maxPushAttempts, maxResultBytes);
    }

    public Limits withMaxPayloadBytes(long v) {
        return new Limits(maxLimit, maxTransactSteps, v, maxPullLimit, maxBatchSize, maxIdLength, transactStepsConfigured, maxPushAttempts, maxResultBytes);
    }

    public Limits withMaxPullLimit(int v) {
        return new Limits(maxLimit, maxTransactSteps, maxPayloadBytes, v, maxBatchSize, maxIdLength, transactStepsConfigured, maxPushAttempts, maxResultBytes);
    }

    public Limits withMaxBatchSize(int v) {
        return new Limits(maxLimit, maxTransactSteps, maxPayloadBytes, maxPullLimit, v, maxIdLength, transactStepsConfigured, maxPushAttempts, maxResultBytes);
    }

    public Limits withMaxPushAttempts(int v) {
        return new Limits(maxLimit, maxTransactSteps, maxPayloadBytes, maxPullLimit, maxBatchSize, maxIdLength,
                transactStepsConfigured, v, maxResultBytes);
    }

    public Limits withMaxResultBytes(long v) {
        return new Limits(maxLimit, maxTransactSteps, maxPayloadBytes, maxPullLimit, maxBatchSize, maxIdLength,
                transactStepsConfigured, maxPushAttempts, v);
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException("limits." + name + " must be positive, got " + v);
        }
    }
}
