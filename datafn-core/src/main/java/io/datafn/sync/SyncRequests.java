package io.datafn.sync;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.error.DatafnException;

/** Validation shared by the sync endpoints. */
final class SyncRequests {
    static final int MAX_CLIENT_ID = 255;

    private SyncRequests() {
    }

    /**
     * {@code clientId} is optional on clone, pull, reconcile, seed and the push envelope; when present it is a
     * non-empty string of at most 255 characters (PROTOCOL.md "Decisions on details").
     */
    static String clientId(JsonNode body) {
        JsonNode c = body.get("clientId");
        if (c == null || c.isNull()) {
            return null;
        }
        if (!c.isTextual() || c.asText().isEmpty() || c.asText().length() > MAX_CLIENT_ID) {
            throw DatafnException.invalid("Invalid DFQL: clientId must be string", "clientId");
        }
        return c.asText();
    }

    /** A cursor: a JSON string of decimal digits. */
    static long cursor(JsonNode v, String path) {
        if (v == null || !v.isTextual() || !v.asText().matches("\\d{1,40}")) {
            throw DatafnException.invalid("Invalid DFQL: cursor must be an integer string", path);
        }
        try {
            return Long.parseLong(v.asText()); // every seq up to the largest 64-bit value
        } catch (NumberFormatException e) {
            throw DatafnException.invalid("Invalid DFQL: cursor exceeds the largest seq (" + Long.MAX_VALUE + ")", path);
        }
    }

    /** A positive integer limit, or {@code dflt} when absent. */
    static int positiveLimit(JsonNode v, int dflt) {
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || !v.canConvertToExactIntegral() || v.asDouble() < 1) {
            throw DatafnException.invalid("Invalid DFQL: limit must be a positive integer", "limit");
        }
        return v.asDouble() > Integer.MAX_VALUE ? Integer.MAX_VALUE : v.asInt();
    }
}
