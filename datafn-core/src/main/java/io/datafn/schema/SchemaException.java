package io.datafn.schema;

import java.util.List;

/** A schema that cannot be served. Never on the wire: the server refuses to start and prints every problem. */
public final class SchemaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** One problem at a JSON path of the schema document, e.g. {@code resources[1].fields[0].type}. */
    public record Problem(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    private final transient List<Problem> problems;

    public SchemaException(List<Problem> problems) {
        super("Schema validation failed: " + String.join("; ", problems.stream().map(Problem::toString).toList()));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
