package dev.kret.model;

/** Which token states the classifier reads. */
public enum HeadType {
  /** Hugging Face RobertaClassificationHead over the first token. */
  CLS("cls"),
  /**
   * The states of both entities' first marker tokens, concatenated, then dense(2H→H) → ReLU →
   * dropout → out_proj (Zhou and Chen, 2021).
   */
  ENTITY_START("entity-start");

  private final String spec;

  HeadType(String spec) {
    this.spec = spec;
  }

  public String spec() {
    return spec;
  }

  public static HeadType fromSpec(String s) {
    for (HeadType h : values()) {
      if (h.spec.equals(s)) {
        return h;
      }
    }
    throw new IllegalArgumentException("unknown head \"" + s + "\" (expected cls or entity-start)");
  }
}
