package io.datafn.schema;

import java.util.Locale;

/** The field types of a DataFn schema ({@code id} is normalised to {@link #STRING}). */
public enum FieldType {
    STRING, NUMBER, BOOLEAN, OBJECT, ARRAY, DATE, FILE, JSON;

    /** The type as spelled in schema JSON. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a schema type name, or returns null when it is not one. */
    public static FieldType parse(String s) {
        if (s == null) {
            return null;
        }
        if (s.equals("id")) {
            return STRING;
        }
        for (FieldType t : values()) {
            if (t.wireName().equals(s)) {
                return t;
            }
        }
        return null;
    }

    /** Text-like types compare as strings (code point order). */
    public boolean isText() {
        return this == STRING || this == FILE;
    }

    /** Types stored as JSON documents. */
    public boolean isJson() {
        return this == OBJECT || this == ARRAY || this == JSON;
    }
}
