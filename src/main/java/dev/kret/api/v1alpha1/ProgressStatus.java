package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How far training got. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProgressStatus(
    @JsonPropertyDescription("Last finished epoch (0 before the first).") Integer epoch,
    @JsonPropertyDescription("Epochs requested by spec.training.epochs.") Integer totalEpochs,
    @JsonPropertyDescription(
            "Last finished masked-LM epoch (0 before the first); only when"
                + " spec.training.mlmEpochs is above 0.")
        Integer mlmEpoch,
    @JsonPropertyDescription(
            "Masked-LM epochs requested by spec.training.mlmEpochs; omitted when there are none.")
        Integer mlmEpochs,
    @JsonPropertyDescription("Mean masked-LM loss of the last finished masked-LM epoch.")
        Double mlmLoss) {

  /** Progress of a run without masked-LM epochs. */
  public ProgressStatus(Integer epoch, Integer totalEpochs) {
    this(epoch, totalEpochs, null, null, null);
  }

  /** True while masked-LM epochs are requested and not all have finished. */
  public boolean inMaskedLm() {
    return mlmEpochs != null
        && mlmEpochs > 0
        && (epoch == null || epoch == 0)
        && (mlmEpoch == null || mlmEpoch < mlmEpochs);
  }
}
