package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.error.ErrorItem;

import java.util.Objects;

/** What a route's handler answers; the router writes the envelope ({@link Envelope}). */
public sealed interface Outcome {

    /** {@code 200 {ok:true, result}}; a sync route's {@code afterSync} hooks see the result first. */
    record Ok(JsonNode result) implements Outcome {
        public Ok {
            Objects.requireNonNull(result, "result");
        }
    }

    /** {@code status {ok:false, result, error}}: a result that failed as a whole (push with a failed mutation, E2). */
    record Failed(int status, JsonNode result, ErrorItem error) implements Outcome {
        public Failed {
            if (status < 400 || status > 599) {
                throw new IllegalArgumentException("a failed outcome has an error status, got " + status);
            }
            Objects.requireNonNull(result, "result");
            Objects.requireNonNull(error, "error");
        }
    }

    /** A 200 body written while it is sent (clone); no envelope around it and no {@code afterSync}. */
    record Streamed(BodyWriter body) implements Outcome {
        public Streamed {
            Objects.requireNonNull(body, "body");
        }
    }

    /**
     * A 200 document that is not an envelope (the OpenAPI document, the admin console's files), sent as it is with
     * its content type.
     */
    record Content(String contentType, byte[] body) implements Outcome {
        public Content {
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(body, "body");
        }
    }

    static Outcome ok(JsonNode result) {
        return new Ok(result);
    }
}
