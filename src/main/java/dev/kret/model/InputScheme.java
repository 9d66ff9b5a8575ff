package dev.kret.model;

/** How a model directory expects its input: entity markers, head and maximum length. */
public record InputScheme(String entityMarkers, String head, int maxLength) {

  /** What a plain Hugging Face RobertaForSequenceClassification directory implies. */
  public static InputScheme plain(int maxLength) {
    return new InputScheme("none", HeadType.CLS.spec(), maxLength);
  }
}
