package dev.kret.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The schema's checks and the rules it cannot say, on specs built in Java (as the operator does).
 */
class SpecValidationTest {

  private static FineTuneRunSpec withData(String train, String validation) {
    return new FineTuneRunSpec(null, new DatasetSpec(train, validation, null), null, null, null);
  }

  @Test
  void acceptsTheOfficialKlueReAliases() {
    assertThat(SpecValidation.errors(withData("klue-re:v1.1/train", "klue-re:v1.1/dev"))).isEmpty();
  }

  @Test
  void rejectsAnUnknownKlueReAliasNamingTheFieldAndTheKnownOnes() {
    assertThat(SpecValidation.errors(withData("klue-re:v1.1/train", "klue-re:v1.1/validation")))
        .containsExactly(
            "spec.dataset.validation: \"klue-re:v1.1/validation\" is not an official KLUE-RE"
                + " file; use klue-re:v1.1/train or klue-re:v1.1/dev");
  }

  @Test
  void leavesOtherUrisToTheLoader() {
    assertThat(SpecValidation.errors(withData("data/train.json", "https://example.com/dev.json")))
        .isEmpty();
    assertThat(SpecValidation.errors(withData(" ", null)))
        .containsExactly("spec.dataset.train: must not be empty");
  }

  /** The schema, not a copy of its rules: a bad quantity is refused by the CRD's pattern. */
  @Test
  void checksTheSpecAgainstTheCrdSchema() {
    FineTuneRunSpec spec =
        new FineTuneRunSpec(
            null,
            null,
            null,
            new TrainingSpec(
                0, null, null, null, null, null, null, null, null, null, null, null, null),
            null,
            new ResourcesSpec(null, null, "lots", null, null, null, null),
            null,
            null,
            null);

    assertThat(SpecValidation.errors(spec))
        .containsExactlyInAnyOrder(
            "spec.training.epochs: Invalid value: 0: should be greater than or equal to 1",
            "spec.resources.memory: Invalid value: \"lots\": should match '"
                + ResourcesSpec.QUANTITY
                + "'");
  }

  /** An empty model name would reach the hub as an empty reference (exit 1, no field named). */
  @Test
  void refusesAnEmptyModelNameOrUri() {
    FineTuneRunSpec base = withData("builtin:klue-re-sample", null);
    FineTuneRunSpec named =
        new FineTuneRunSpec(
            new ModelSpec("", null, null, null, null, null), base.dataset(), null, null, null);
    FineTuneRunSpec uri =
        new FineTuneRunSpec(
            new ModelSpec(null, null, " ", null, null, null), base.dataset(), null, null, null);

    assertThat(SpecValidation.errors(named))
        .singleElement()
        .asString()
        .startsWith("spec.model.name: Invalid value: \"\": must not be empty");
    assertThat(SpecValidation.errors(uri))
        .singleElement()
        .asString()
        .startsWith("spec.model.uri: Invalid value: \" \": must not be empty");
  }

  /** What the schema cannot say: numHeads must divide hiddenSize. */
  @Test
  void keepsTheCrossFieldRules() {
    FineTuneRunSpec spec =
        new FineTuneRunSpec(
            new ModelSpec(
                null, null, null, "random", null, new ModelConfigSpec(128, null, 3, null, null)),
            null,
            null,
            null,
            null);

    assertThat(SpecValidation.errors(spec))
        .containsExactly(
            "spec.model.config.numHeads: Invalid value: 3: must divide hiddenSize 128");
  }

  /** It names a Service: a DNS-1035 label, as the CRD's pattern (PromotionSpec.SERVING_PATTERN). */
  @Test
  void promotionServingMustBeADns1035Label() {
    FineTuneRunSpec base = withData("builtin:klue-re-sample", null);
    assertThat(
            SpecValidation.errors(base.withPromotion(new PromotionSpec("Auto", "klue-re", null))))
        .isEmpty();
    for (String bad : new String[] {"1-re", "klue-", "Klue", "a".repeat(64), "klue.re"}) {
      assertThat(SpecValidation.errors(base.withPromotion(new PromotionSpec("Auto", bad, null))))
          .as(bad)
          .singleElement()
          .asString()
          .isEqualTo(
              "spec.promotion.serving: Invalid value: \""
                  + bad
                  + "\": should match '"
                  + PromotionSpec.SERVING_PATTERN
                  + "'");
    }
    assertThat(
            SpecValidation.errors(
                base.withPromotion(new PromotionSpec("Auto", "a".repeat(63), null))))
        .isEmpty();
  }
}
