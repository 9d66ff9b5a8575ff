package dev.kret.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.text.RelationEncoder.Encoded;
import org.junit.jupiter.api.Test;

/** The synthetic rows of the warm-up. */
class WarmupTest {

  @Test
  void stretchesARowToTheLengthKeepingItsEndsAndEntityIndices() {
    Encoded row = new Encoded(new int[] {0, 11, 12, 13, 2}, 1, 3);
    Encoded s = Warmup.stretched(row, 10);
    assertThat(s.ids()).containsExactly(0, 11, 12, 13, 11, 12, 13, 11, 12, 2);
    assertThat(s.subjectIndex()).isEqualTo(1);
    assertThat(s.objectIndex()).isEqualTo(3);
  }

  @Test
  void leavesARowAtOrOverTheLengthAlone() {
    Encoded row = new Encoded(new int[] {0, 11, 2}, 1, 1);
    assertThat(Warmup.stretched(row, 3)).isSameAs(row);
  }
}
