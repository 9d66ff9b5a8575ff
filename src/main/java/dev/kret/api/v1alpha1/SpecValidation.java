package dev.kret.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Whether a spec can run: the CRD's schema ({@link SchemaValidation}, the one source of types,
 * ranges, patterns and fields) plus the rules the schema cannot say, which the API server therefore
 * lets through and only the trainer would find: a field that depends on another (numHeads divides
 * hiddenSize, name or uri unless init is random, serving with promotion), and a reference that is
 * empty. Used wherever a spec is judged without an API server ({@code kretctl train --local},
 * {@code kretctl apply}) and by the operator, which never starts a Job for a spec failing these.
 * Each error names the field.
 */
public final class SpecValidation {

  private static final Set<String> INITS = Set.of("pretrained", "random");
  private static final Set<String> KLUE_RE_FILES =
      Set.of(DatasetSpec.KLUE_RE_TRAIN, DatasetSpec.KLUE_RE_DEV);

  private SpecValidation() {}

  /**
   * Errors of a spec: the schema's about its JSON form, then {@link #rules}; empty when it can run.
   */
  public static List<String> errors(FineTuneRunSpec raw) {
    List<String> e = new ArrayList<>();
    SchemaValidation.violations(raw).forEach(v -> e.add(v.toString()));
    e.addAll(rules(raw));
    return e;
  }

  /**
   * The rules the CRD's schema cannot say, on the spec after defaults; empty when it keeps them.
   */
  public static List<String> rules(FineTuneRunSpec raw) {
    FineTuneRunSpec s =
        (raw == null ? new FineTuneRunSpec(null, null, null, null, null) : raw).withDefaults();
    List<String> e = new ArrayList<>();
    ModelSpec given = raw == null || raw.model() == null ? ModelSpec.defaults() : raw.model();
    ModelSpec m = s.model();
    if (!INITS.contains(m.init())) {
      e.add(
          "spec.model.init: Unsupported value: \""
              + m.init()
              + "\": supported values: \"pretrained\", \"random\"");
    }
    if (m.fromScratch()) {
      ModelConfigSpec c = m.config();
      if (!(c.embeddingInitStd() > 0) || c.embeddingInitStd().isInfinite()) {
        e.add(
            "spec.model.config.embeddingInitStd: Invalid value: "
                + c.embeddingInitStd()
                + ": must be a positive number");
      }
      if (c.numHeads() > 0 && c.hiddenSize() % c.numHeads() != 0) {
        e.add(
            "spec.model.config.numHeads: Invalid value: "
                + c.numHeads()
                + ": must divide hiddenSize "
                + c.hiddenSize());
      }
      notBlank(
          e,
          "spec.model.tokenizer",
          given.tokenizer(),
          "name builtin:klue-roberta-base or a model directory, or leave it out");
    } else {
      notBlank(
          e,
          "spec.model.name",
          given.name(),
          "name a hub model such as klue/roberta-base, or set uri");
      notBlank(e, "spec.model.uri", given.uri(), "name a model directory, or set name");
      if (m.name() != null && m.uri() != null && !m.name().isBlank() && !m.uri().isBlank()) {
        e.add("spec.model: set name or uri, not both");
      }
    }
    dataUri(e, "spec.dataset.train", s.dataset().train());
    dataUri(e, "spec.dataset.validation", s.dataset().validation());
    if (s.storage().claimName().isBlank()) {
      e.add("spec.storage.claimName: Invalid value: \"\": must not be empty");
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
      }
      if (p.minimum() != null && p.minimum().value() == null) {
        e.add("spec.promotion.minimum.value: is required with minimum");
      }
    }
    return e;
  }

  /** A reference that is set must say something: an empty one would fail only in the trainer. */
  private static void notBlank(List<String> e, String field, String value, String hint) {
    if (value != null && value.isBlank()) {
      e.add(field + ": Invalid value: \"" + value + "\": must not be empty; " + hint);
    }
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
}
