package io.datafn.auth;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The namespace of an identity: the README's forms, and no two identities in one namespace. */
class AuthContextTest {

    @Test
    void namespace_plainIds_keepTheReadmeForms() {
        assertThat(new AuthContext(null, null).namespace()).isEqualTo("datafn");
        assertThat(new AuthContext("alice", null).namespace()).isEqualTo("user:alice");
        assertThat(new AuthContext("alice", "acme").namespace()).isEqualTo("tenant:acme:user:alice");
        assertThat(new AuthContext("émile 😀", "t-1").namespace()).isEqualTo("tenant:t-1:user:émile 😀");
    }

    @Test
    void namespace_separatorsAndUnstorableCharacters_areEscaped() {
        assertThat(new AuthContext("u:user:v", "t").namespace()).isNotEqualTo(new AuthContext("v", "t:user:u").namespace());
        assertThat(new AuthContext("u:user:v", "t").namespace()).isEqualTo("tenant:t:user:u%3Auser%3Av");
        assertThat(new AuthContext("x\ud800", null).namespace()).isEqualTo("user:x%uD800");
        assertThat(new AuthContext("x\ud800", null).namespace()).isNotEqualTo(new AuthContext("x?", null).namespace());
        assertThat(new AuthContext("a\u0000b", null).namespace()).isEqualTo("user:a%00b");
        assertThat(new AuthContext("100%", null).namespace()).isEqualTo("user:100%25");
    }

    @Provide
    Arbitrary<String> ids() {
        // small alphabets make collisions likely if the mapping were not injective
        return Arbitraries.strings().withChars(':', '%', 'u', 's', 'e', 'r', 't', 'a', 'n', '3', 'A', '\u0000', '\ud800', '\udc00', '?')
                .ofMinLength(1).ofMaxLength(8);
    }

    @Property(tries = 3000)
    void namespace_isInjective(@ForAll("ids") String u1, @ForAll("ids") String t1, @ForAll("ids") String u2,
                               @ForAll("ids") String t2, @ForAll boolean tenant1, @ForAll boolean tenant2) {
        AuthContext a = new AuthContext(u1, tenant1 ? t1 : null);
        AuthContext b = new AuthContext(u2, tenant2 ? t2 : null);
        boolean same = a.userId().equals(b.userId()) && java.util.Objects.equals(a.tenantId(), b.tenantId());
        assertThat(a.namespace().equals(b.namespace())).as("%s vs %s", a, b).isEqualTo(same);
    }
}
