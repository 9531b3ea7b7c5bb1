package io.datafn.realtime;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bytes are encoded once and shared; each send gets a read-only view of its own to consume. */
class TextMessageTest {
    @Test
    void utf8_isTheTextsEncoding_inAViewPerCall() {
        TextMessage m = new TextMessage("{\"cursor\":\"7\",\"é\":\"✓\"}");
        ByteBuffer a = m.utf8();
        ByteBuffer b = m.utf8();
        byte[] expected = m.text().getBytes(StandardCharsets.UTF_8);

        byte[] read = new byte[a.remaining()];
        a.get(read); // a send consumes its view ...
        assertThat(read).isEqualTo(expected);
        assertThat(a.remaining()).isZero();
        assertThat(b.remaining()).isEqualTo(expected.length); // ... and not the others
        assertThat(m.utf8().remaining()).isEqualTo(expected.length);
    }

    @Test
    void aView_cannotChangeTheSharedBytes() {
        TextMessage m = new TextMessage("abc");
        assertThatThrownBy(() -> m.utf8().put(0, (byte) 'x')).isInstanceOf(ReadOnlyBufferException.class);
        assertThat(StandardCharsets.UTF_8.decode(m.utf8()).toString()).isEqualTo("abc");
    }
}
