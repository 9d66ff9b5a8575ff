package dev.kret.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MarkerSchemeTest {

  @Test
  void parsesSpecValues() {
    assertThat(MarkerScheme.fromSpec("none")).isEqualTo(MarkerScheme.NONE);
    assertThat(MarkerScheme.fromSpec("entity")).isEqualTo(MarkerScheme.ENTITY);
    assertThat(MarkerScheme.fromSpec("typed")).isEqualTo(MarkerScheme.TYPED);
    assertThat(MarkerScheme.fromSpec("typed-punct")).isEqualTo(MarkerScheme.TYPED_PUNCT);
    for (MarkerScheme s : MarkerScheme.values()) {
      assertThat(MarkerScheme.fromSpec(s.spec())).isEqualTo(s);
    }
  }

  @Test
  void rejectsUnknownSchemeNamingAllowedValues() {
    assertThatThrownBy(() -> MarkerScheme.fromSpec("TYPED_PUNCT"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TYPED_PUNCT")
        .hasMessageContaining("none, entity, typed, typed-punct");
  }

  @Test
  void addsTokensOnlyForTokenMarkers() {
    assertThat(MarkerScheme.NONE.addedTokens()).isEmpty();
    assertThat(MarkerScheme.TYPED_PUNCT.addedTokens()).isEmpty();
    assertThat(MarkerScheme.ENTITY.addedTokens())
        .containsExactly("<subj>", "</subj>", "<obj>", "</obj>");
    assertThat(MarkerScheme.TYPED.addedTokens())
        .hasSize(24)
        .doesNotHaveDuplicates()
        .contains("<subj:PER>", "</subj:PER>", "<obj:LOC>", "</obj:NOH>");
  }
}
