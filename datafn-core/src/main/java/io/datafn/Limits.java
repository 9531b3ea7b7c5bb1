package io.datafn;

/**
 * Request limits (PROTOCOL.md "Plugins, authorization, limits, REST"). Every value must be positive.
 *
 * @param maxLimit          largest query {@code limit}; also the page size when {@code limit} is absent (default 100)
 * @param maxTransactSteps  steps per transact request (default 100)
 * @param maxPayloadBytes   request body size (default 5 242 880)
 * @param maxPullLimit      changes per pull page (default 1000)
 * @param maxBatchSize      mutations per batch or push (default 500)
 * @param maxIdLength       record id length (default 255)
 * @param transactStepsConfigured whether {@code maxTransactSteps} was set explicitly (status only shows it then)
 * @param maxPushAttempts   pushes of one mutation (same clientId and mutationId) answered with a retryable error
 *                          before it is answered not retryable and quarantined (default 5)
 */
public record Limits(int maxLimit, int maxTransactSteps, long maxPayloadBytes, int maxPullLimit, int maxBatchSize,
                     int maxIdLength, boolean transactStepsConfigured, int maxPushAttempts) {
    public static final int MAX_SELECT_TOKENS = 50;
    public static final int MAX_FILTER_KEYS = 20;
    public static final int MAX_SORT_FIELDS = 10;
    public static final int MAX_AGGREGATIONS = 20;
    public static final int MAX_FILTER_DEPTH = 10;
    public static final int MAX_RELATION_DEPTH = 5;
    public static final int MAX_LIKE_PATTERN = 200;

    public Limits {
        positive("maxLimit", maxLimit);
        positive("maxTransactSteps", maxTransactSteps);
        positive("maxPayloadBytes", maxPayloadBytes);
        positive("maxPullLimit", maxPullLimit);
        positive("maxBatchSize", maxBatchSize);
        positive("maxIdLength", maxIdLength);
        positive("maxPushAttempts", maxPushAttempts);
    }

    public static Limits defaults() {
        return new Limits(100, 100, 5_242_880L, 1000, 500, 255, false, 5);
    }

    public Limits withMaxLimit(int v) {
        return new Limits(v, maxTransactSteps, maxPayloadBytes, maxPullLimit, maxBatchSize, maxIdLength, transactStepsConfigured, maxPushAttempts);
    }

    public Limits withMaxTransactSteps(int v) {
        return new Limits(maxLimit, v, maxPayloadBytes, maxPullLimit, maxBatchSize, maxIdLength, true, maxPushAttempts);
    }

    public Limits withMaxPayloadBytes(long v) {
        return new Limits(maxLimit, maxTransactSteps, v, maxPullLimit, maxBatchSize, maxIdLength, transactStepsConfigured, maxPushAttempts);
    }

    public Limits withMaxPullLimit(int v) {
        return new Limits(maxLimit, maxTransactSteps, maxPayloadBytes, v, maxBatchSize, maxIdLength, transactStepsConfigured, maxPushAttempts);
    }

    public Limits withMaxBatchSize(int v) {
        return new Limits(maxLimit, maxTransactSteps, maxPayloadBytes, maxPullLimit, v, maxIdLength, transactStepsConfigured, maxPushAttempts);
    }

    public Limits withMaxPushAttempts(int v) {
        return new Limits(maxLimit, maxTransactSteps, maxPayloadBytes, maxPullLimit, maxBatchSize, maxIdLength,
                transactStepsConfigured, v);
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException("limits." + name + " must be positive, got " + v);
        }
    }
}
