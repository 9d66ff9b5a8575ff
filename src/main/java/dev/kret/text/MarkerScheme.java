package dev.kret.text;

import dev.kret.data.Labels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How the subject and object are marked in the sentence before encoding (the {@code
 * input.entityMarkers} spec value).
 */
public enum MarkerScheme {
  /** The bare sentence; the entity-start head then reads [CLS] for both entities. */
  NONE("none"),
  /** {@code <subj> word </subj>} and {@code <obj> word </obj>}: four added tokens. */
  ENTITY("entity"),
  /** {@code <subj:PER> word </subj:PER>}: open and close per role and entity type, 24 tokens. */
  TYPED("typed"),
  /**
   * Zhou and Chen (2021), typed entity marker (punct): {@code @ * PER * word @} and {@code # ^ LOC
   * ^ word #}; plain characters, no added tokens.
   */
  TYPED_PUNCT("typed-punct");

  private final String spec;

  MarkerScheme(String spec) {
    this.spec = spec;
  }

  /** The value as written in a FineTuneRun and in kret.json. */
  public String spec() {
    return spec;
  }

  /** Parses {@code none|entity|typed|typed-punct}. */
  public static MarkerScheme fromSpec(String value) {
    for (MarkerScheme s : values()) {
      if (s.spec.equals(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown entity marker scheme '"
            + value
            + "'; expected one of "
            + Arrays.stream(values()).map(MarkerScheme::spec).collect(Collectors.joining(", ")));
  }

  /** Tokens this scheme needs in the tokenizer's added_tokens, in a fixed order. */
  public List<String> addedTokens() {
    List<String> out = new ArrayList<>();
    switch (this) {
      case ENTITY -> out.addAll(List.of("<subj>", "</subj>", "<obj>", "</obj>"));
      case TYPED -> {
        for (String role : List.of("subj", "obj")) {
          for (String type : Labels.ENTITY_TYPES) {
            out.add("<" + role + ":" + type + ">");
            out.add("</" + role + ":" + type + ">");
          }
        }
      }
      default -> {}
    }
    return List.copyOf(out);
  }

  /** Text inserted before the entity word. */
  String open(boolean subject, String type) {
    return switch (this) {
      case NONE -> "";
      case ENTITY -> subject ? "<subj> " : "<obj> ";
      case TYPED -> "<" + role(subject) + ":" + checkedType(type) + "> ";
      case TYPED_PUNCT -> subject ? "@ * " + type + " * " : "# ^ " + type + " ^ ";
    };
  }

  /** Text inserted after the entity word. */
  String close(boolean subject, String type) {
    return switch (this) {
      case NONE -> "";
      case ENTITY -> subject ? " </subj>" : " </obj>";
      case TYPED -> " </" + role(subject) + ":" + checkedType(type) + ">";
      case TYPED_PUNCT -> subject ? " @" : " #";
    };
  }

  private static String role(boolean subject) {
    return subject ? "subj" : "obj";
  }

  private static String checkedType(String type) {
    if (!Labels.ENTITY_TYPES.contains(type)) {
      throw new IllegalArgumentException(
          "entity type '" + type + "' has no typed marker; expected one of " + Labels.ENTITY_TYPES);
    }
    return type;
  }
}
