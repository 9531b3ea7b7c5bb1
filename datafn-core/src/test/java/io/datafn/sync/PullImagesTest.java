package io.datafn.sync;

import io.datafn.schema.Field;
import io.datafn.schema.FieldType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PullService#mayHoldTextDate}: which stored images a pull must parse to convert dates (images of earlier
 * versions with ISO-8601 strings in date fields); every other image goes out as its stored text. A false answer must
 * never be wrong; a true one only costs a parse.
 */
class PullImagesTest {
    private static final List<Field> DUE = List.of(date("dueAt"));

    private static Field date(String name) {
        return new Field(name, FieldType.DATE, false, true, false, null, false, List.of(), null, null, null, null,
                null, false, false);
    }

    private static boolean mayHold(String singleQuoted) {
        return PullService.mayHoldTextDate(singleQuoted.replace('\'', '"'), DUE);
    }

    @Test
    void epochMillisNullOrAbsent_goOutAsStored() {
        assertThat(mayHold("{'id':'t1','dueAt':1700000000000}")).isFalse();
        assertThat(mayHold("{'id':'t1','dueAt':null,'title':'x'}")).isFalse();
        assertThat(mayHold("{'id':'t1','title':'dueAt'}")).isFalse();
        assertThat(mayHold("{'id':'t1','dueAtX':'2024-01-01'}")).isFalse();
    }

    @Test
    void aStringInADateField_isParsed() {
        assertThat(mayHold("{'id':'t1','dueAt':'2024-01-01T00:00:00.000Z'}")).isTrue();
        assertThat(mayHold("{'id':'t1','dueAt' : \t'2024-01-01'}")).isTrue();
        assertThat(mayHold("{'id':'t1','dueAt':1,'meta':{'dueAt':'x'}}")).isTrue(); // nested: parsed, needlessly
    }

    @Test
    void theKeyQuotedInsideAString_isNoDateField() {
        assertThat(PullService.mayHoldTextDate("{\"title\":\"say \\\"dueAt\\\":\\\"x\\\"\"}", DUE)).isFalse();
    }

    @Test
    void aNameJsonWouldEscape_isAlwaysParsed() {
        assertThat(PullService.mayHoldTextDate("{\"id\":\"t1\"}", List.of(date("a\"b")))).isTrue();
    }
}
