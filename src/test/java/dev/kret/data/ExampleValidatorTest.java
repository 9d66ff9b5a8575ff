package dev.kret.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.data.ExampleValidator.Kind;
import dev.kret.data.ExampleValidator.OffsetNames;
import dev.kret.data.ExampleValidator.Problem;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExampleValidatorTest {
  static final String SENTENCE = "이순신은 조선 중기의 무신이다.";

  @Test
  void aValidEntityHasNoProblem() {
    assertThat(
            ExampleValidator.entity(
                "subject_entity", OffsetNames.KLUE_RE, "이순신", 0, 2, "PER", SENTENCE))
        .isEmpty();
  }

  @Test
  void eachProblemHasItsKindFieldAndMessage() {
    assertThat(ExampleValidator.entity("s", OffsetNames.KLUE_RE, "이순신", 0, 2, "XYZ", SENTENCE))
        .contains(
            new Problem(
                Kind.UNKNOWN_TYPE,
                "s.type",
                "s.type \"XYZ\" is not one of " + Labels.ENTITY_TYPES));
    assertThat(ExampleValidator.entity("s", OffsetNames.KLUE_RE, null, -1, 2, "PER", SENTENCE))
        .contains(new Problem(Kind.INVALID_SPAN, "s.start_idx", "s.start_idx -1 is negative"));
    assertThat(ExampleValidator.entity("s", OffsetNames.SPAN, null, 3, 2, "PER", SENTENCE))
        .contains(new Problem(Kind.INVALID_SPAN, "s end", "s end 2 is before start 3"));
    assertThat(ExampleValidator.entity("s", OffsetNames.KLUE_RE, null, 3, 2, "PER", SENTENCE))
        .map(Problem::message)
        .contains("s.end_idx 2 is before start_idx 3");
    assertThat(ExampleValidator.entity("s", OffsetNames.KLUE_RE, null, 0, 17, "PER", SENTENCE))
        .contains(
            new Problem(
                Kind.INVALID_SPAN,
                "s.end_idx",
                "s.end_idx 17 is outside the sentence (17 code points, last index 16)"));
    assertThat(ExampleValidator.entity("s", OffsetNames.KLUE_RE, "이순", 0, 2, "PER", SENTENCE))
        .contains(
            new Problem(
                Kind.WORD_MISMATCH,
                "s.word",
                "s.word \"이순\" does not match sentence[0..2] \"이순신\""));
    assertThat(ExampleValidator.sentence("sentence", " "))
        .contains(new Problem(Kind.BLANK_SENTENCE, "sentence", "sentence is blank"));
    assertThat(ExampleValidator.missing("s.word"))
        .contains(new Problem(Kind.MISSING, "s.word", "s.word is missing"));
  }

  @Test
  void aNullWordSkipsTheWordCheck() {
    assertThat(ExampleValidator.entity("s", OffsetNames.KLUE_RE, null, 0, 2, "PER", SENTENCE))
        .isEmpty();
  }

  @Test
  void entitiesSharingACodePointOverlap() {
    Entity s = new Entity("이순신", 0, 2, "PER");
    assertThat(ExampleValidator.overlap("a", s, "b", new Entity("조선", 5, 6, "LOC"))).isEmpty();
    Optional<Problem> p = ExampleValidator.overlap("a", s, "b", new Entity("신은", 2, 3, "LOC"));
    assertThat(p).contains(new Problem(Kind.OVERLAP, "a", "a [0..2] and b [2..3] overlap"));
  }

  @Test
  void spansCountCodePointsNotUtf16Units() {
    String s = "a😀b";
    assertThat(CodePoints.length(s)).isEqualTo(3);
    assertThat(CodePoints.slice(s, 1, 2)).isEqualTo("😀b");
    assertThat(ExampleValidator.entity("s", OffsetNames.KLUE_RE, "b", 2, 2, "PER", s)).isEmpty();
  }
}
