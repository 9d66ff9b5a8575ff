package dev.kret.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The checks the CRD schema makes, repeated in Java for specs that never pass an API server ({@code
 * kretctl train --local}, the mock server). Each error names the field.
 */
public final class SpecValidation {

  private static final Set<String> MARKERS = Set.of("none", "entity", "typed", "typed-punct");
  private static final Set<String> HEADS = Set.of("cls", "entity-start");
  private static final Set<String> METRICS = Set.of("accuracy", "micro_f1", "auprc", "eval_loss");
  private static final Set<String> INITS = Set.of("pretrained", "random");
  private static final Set<String> KLUE_RE_FILES =
      Set.of(DatasetSpec.KLUE_RE_TRAIN, DatasetSpec.KLUE_RE_DEV);

  private SpecValidation() {}

  /** Errors of a spec after defaults; empty when it can run. */
  public static List<String> errors(FineTuneRunSpec raw) {
    FineTuneRunSpec s =
        (raw == null ? new FineTuneRunSpec(null, null, null, null, null) : raw).withDefaults();
    List<String> e = new ArrayList<>();
    TrainingSpec t = s.training();
    min(e, "spec.training.epochs", t.epochs(), 1);
    min(e, "spec.training.batchSize", t.batchSize(), 1);
    min(e, "spec.training.gradientAccumulationSteps", t.gradientAccumulationSteps(), 1);
    min(e, "spec.training.earlyStoppingPatience", t.earlyStoppingPatience(), 0);
    if (!(t.learningRate() > 0)) {
      e.add("spec.training.learningRate: must be > 0, got " + t.learningRate());
    }
    range(e, "spec.training.weightDecay", t.weightDecay(), 0, Double.MAX_VALUE);
    range(e, "spec.training.warmupRatio", t.warmupRatio(), 0, 1);
    range(e, "spec.training.maxGradNorm", t.maxGradNorm(), 0, Double.MAX_VALUE);
    if (t.dropout() != null) {
      range(e, "spec.training.dropout", t.dropout(), 0, 1);
    }
    min(e, "spec.training.mlmEpochs", t.mlmEpochs(), 0);
    if (!(t.mlmProbability() > 0 && t.mlmProbability() < 1)) {
      e.add("spec.training.mlmProbability: must be > 0 and < 1, got " + t.mlmProbability());
    }
    InputSpec in = s.input();
    if (in.maxLength() < 16 || in.maxLength() > 512) {
      e.add("spec.input.maxLength: must be between 16 and 512, got " + in.maxLength());
    }
    oneOf(e, "spec.input.entityMarkers", in.entityMarkers(), MARKERS);
    oneOf(e, "spec.input.head", in.head(), HEADS);
    oneOf(e, "spec.objective.metric", s.objective().metric(), METRICS);
    ModelSpec m = s.model();
    oneOf(e, "spec.model.init", m.init(), INITS);
    if (m.fromScratch()) {
      ModelConfigSpec c = m.config();
      min(e, "spec.model.config.hiddenSize", c.hiddenSize(), 8);
      min(e, "spec.model.config.numLayers", c.numLayers(), 1);
      min(e, "spec.model.config.numHeads", c.numHeads(), 1);
      min(e, "spec.model.config.intermediateSize", c.intermediateSize(), 1);
      if (!(c.embeddingInitStd() > 0) || c.embeddingInitStd().isInfinite()) {
        e.add(
            "spec.model.config.embeddingInitStd: must be a positive number, got "
                + c.embeddingInitStd());
      }
      if (c.numHeads() > 0 && c.hiddenSize() % c.numHeads() != 0) {
        e.add(
            "spec.model.config.numHeads: must divide hiddenSize "
                + c.hiddenSize()
                + ", got "
                + c.numHeads());
      }
    } else if (m.name() == null && m.uri() == null) {
      e.add("spec.model: name or uri is required unless init is random");
    } else if (m.name() != null && m.uri() != null) {
      e.add("spec.model: set name or uri, not both");
    }
    dataUri(e, "spec.dataset.train", s.dataset().train());
    dataUri(e, "spec.dataset.validation", s.dataset().validation());
    if (s.resources().gpus() < 0) {
      e.add("spec.resources.gpus: must be >= 0, got " + s.resources().gpus());
    }
    if (s.storage().claimName().isBlank()) {
      e.add("spec.storage.claimName: must not be empty");
    }
    if (s.secrets() != null && s.secrets().hubToken() != null) {
      SecretKeyRef token = s.secrets().hubToken();
      if (token.name() == null
          || token.name().isBlank()
          || token.key() == null
          || token.key().isBlank()) {
        e.add("spec.secrets.hubToken: needs name and key");
      }
    }
    PromotionSpec p = s.promotion();
    if (p != null) {
      if (p.serving() == null || p.serving().isBlank()) {
        e.add("spec.promotion.serving: names the endpoint and is required with promotion");
      } else if (!p.serving().matches(PromotionSpec.SERVING_PATTERN)) {
        e.add(
            "spec.promotion.serving: must be a DNS-1035 label (a lowercase letter, then letters,"
                + " digits or '-', at most 63 characters; it names a Service), got "
                + p.serving());
      }
      if (p.minimum() != null && p.minimum().value() == null) {
        e.add("spec.promotion.minimum.value: is required with minimum");
      }
    }
    return e;
  }

  private static void dataUri(List<String> e, String field, String uri) {
    if (uri.isBlank()) {
      e.add(field + ": must not be empty");
    } else if (uri.strip().toLowerCase(Locale.ROOT).startsWith("klue-re:")
        && !KLUE_RE_FILES.contains(uri.strip())) {
      e.add(
          field
              + ": \""
              + uri
              + "\" is not an official KLUE-RE file; use "
              + DatasetSpec.KLUE_RE_TRAIN
              + " or "
              + DatasetSpec.KLUE_RE_DEV);
    }
  }

  private static void min(List<String> e, String field, int v, int min) {
    if (v < min) {
      e.add(field + ": must be >= " + min + ", got " + v);
    }
  }

  private static void range(List<String> e, String field, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) {
      e.add(field + ": must be between " + lo + " and " + hi + ", got " + v);
    }
  }

  private static void oneOf(List<String> e, String field, String v, Set<String> allowed) {
    if (!allowed.contains(v)) {
      e.add(field + ": \"" + v + "\" is not one of " + new java.util.TreeSet<>(allowed));
    }
  }
}
