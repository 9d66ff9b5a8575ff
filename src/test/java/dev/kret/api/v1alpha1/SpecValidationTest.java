package dev.kret.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The dataset URIs a spec may name. */
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
          .startsWith("spec.promotion.serving: must be a DNS-1035 label");
    }
    assertThat(
            SpecValidation.errors(
                base.withPromotion(new PromotionSpec("Auto", "a".repeat(63), null))))
        .isEmpty();
  }
}
