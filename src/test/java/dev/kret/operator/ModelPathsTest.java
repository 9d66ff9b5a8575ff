package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A crafted summary.json must not make promotion serve files outside the run's directory. */
class ModelPathsTest {

  @Test
  void acceptsTheRunsOwnEpochDirectories() {
    assertThat(ModelPaths.confined("ml", "klue", "ml/klue/epoch-3")).contains("ml/klue/epoch-3");
    assertThat(ModelPaths.confined("ml", "klue", "/models/ml/klue/epoch-12"))
        .contains("ml/klue/epoch-12");
  }

  @Test
  void refusesEverythingElse() {
    for (String p :
        new String[] {
          "ml/other/epoch-1",
          "team-b/klue/epoch-1",
          "ml/klue/../other/epoch-1",
          "ml/klue/epoch-1/..",
          "ml/klue/epoch-1/../../../etc",
          "/etc/passwd",
          "/models/ml/klue/checkpoint",
          "ml/klue/epoch-0",
          "ml/klue/epoch-1a",
          "ml//klue/epoch-1",
          "./ml/klue/epoch-1",
          "ml/klue/epoch-99999999999",
          ""
        }) {
      assertThat(ModelPaths.confined("ml", "klue", p)).as(p).isEmpty();
    }
    assertThat(ModelPaths.confined("ml", "klue", null)).isEmpty();
  }
}
