package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.ModelConfigSpec;
import dev.kret.api.v1alpha1.PromotionSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Spec checks the CRD schema cannot express; a problem here is a user error (condition + event, no
 * Job, no retry storm).
 */
public final class SpecValidator {
  private SpecValidator() {}

  /** Human-readable problems, empty when the spec is usable. */
  public static List<String> problems(FineTuneRunSpec raw) {
    List<String> out = new ArrayList<>();
    FineTuneRunSpec spec =
        (raw == null ? new FineTuneRunSpec(null, null, null, null, null) : raw).withDefaults();
    if (spec.model().fromScratch()) {
      ModelConfigSpec c = spec.model().config();
      if (c.hiddenSize() % c.numHeads() != 0) {
        out.add(
            "spec.model.config.numHeads ("
                + c.numHeads()
                + ") must divide hiddenSize ("
                + c.hiddenSize()
                + ")");
      }
    } else if (spec.model().name() != null && spec.model().uri() != null) {
      out.add("spec.model: set name or uri, not both");
    }
    if (spec.training().learningRate() <= 0) {
      out.add("spec.training.learningRate must be > 0");
    }
    if (spec.resources().gpus() < 0) {
      out.add("spec.resources.gpus must be >= 0");
    }
    if (spec.storage().claimName().isBlank()) {
      out.add("spec.storage.claimName must not be empty");
    }
    if (spec.secrets() != null && spec.secrets().hubToken() != null) {
      var t = spec.secrets().hubToken();
      if (t.name() == null || t.name().isBlank() || t.key() == null || t.key().isBlank()) {
        out.add("spec.secrets.hubToken needs name and key");
      }
    }
    PromotionSpec p = spec.promotion();
    if (p != null) {
      if (p.serving() == null || p.serving().isBlank()) {
        out.add("spec.promotion.serving names the endpoint and is required with promotion");
      }
      if (p.minimum() != null && p.minimum().value() == null) {
        out.add("spec.promotion.minimum.value is required with minimum");
      }
    }
    return out;
  }
}
