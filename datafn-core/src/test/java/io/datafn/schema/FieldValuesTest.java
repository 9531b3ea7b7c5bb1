package io.datafn.schema;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Dates as the wire and the parser take them (PROTOCOL.md "Dates"): ISO-8601 strings to epoch milliseconds. */
class FieldValuesTest {
    private static Long millis(String s) {
        return FieldValues.dateMillis(JsonNodeFactory.instance.textNode(s));
    }

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @Test
    void isoStrings_toEpochMillis() {
        assertThat(millis("2026-01-05")).isEqualTo(at("2026-01-05T00:00:00Z"));
        assertThat(millis("2026-01-05T12:30")).isEqualTo(at("2026-01-05T12:30:00Z"));
        assertThat(millis("2026-01-05T12:30:15")).isEqualTo(at("2026-01-05T12:30:15Z"));
        assertThat(millis("2026-01-05T12:30:15.5Z")).isEqualTo(at("2026-01-05T12:30:15.500Z"));
        assertThat(millis("2026-01-05T12:30:15.123Z")).isEqualTo(at("2026-01-05T12:30:15.123Z"));
        assertThat(millis("2026-01-05T12:30:15.123999999Z")).isEqualTo(at("2026-01-05T12:30:15.123Z"));
        assertThat(millis("2026-01-05T12:30+02:00")).isEqualTo(at("2026-01-05T10:30:00Z"));
        assertThat(millis("2026-01-05T12:30:15.250-05:30")).isEqualTo(at("2026-01-05T18:00:15.250Z"));
        assertThat(millis("1969-12-31T23:59:59.999Z")).isEqualTo(-1L);
        assertThat(millis("2024-02-29T00:00:00Z")).isEqualTo(at("2024-02-29T00:00:00Z"));
    }

    @Test
    void impossibleDates_areNotDates() {
        assertThat(millis("2026-02-30")).isNull();
        assertThat(millis("2025-02-29T00:00:00Z")).isNull();
        assertThat(millis("2026-13-01")).isNull();
        assertThat(millis("2026-01-05T24:00Z")).isNull();
        assertThat(millis("2026-01-05T12:60Z")).isNull();
        assertThat(millis("2026-01-05T12:30:60Z")).isNull();
        assertThat(millis("2026-01-05T12:30+19:00")).isNull();
        assertThat(millis("2026-01-05T12:30:15.1234567890Z")).isNull();
        assertThat(millis("2026-01-05T12")).isNull();
        assertThat(millis("20260105")).isNull();
        assertThat(millis("")).isNull();
    }
}
