package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Locale;

/**
 * The trainer-to-operator contract: the {@code <run>-progress} ConfigMap, one key per finished
 * epoch ({@code epoch-0003.json}) and a final {@code summary.json}, both camelCase JSON with
 * metrics ×100 like the official KLUE scorer; runs with masked-LM epochs first ({@code
 * spec.training.mlmEpochs}) also write one key per finished masked-LM epoch ({@code
 * mlm-epoch-0002.json}). The trainer only ever patches single keys, so a retried or resumed epoch
 * overwrites its own key and nothing else.
 */
public final class TrainingProgress {
  public static final String SUMMARY_KEY = "summary.json";

  /** Written once when the trainer has chosen its device: {@link Device}. */
  public static final String DEVICE_KEY = "device.json";

  private TrainingProgress() {}

  public static String configMapName(String run) {
    return run + "-progress";
  }

  /** {@code epoch-0003.json} for epoch 3. */
  public static String epochKey(int epoch) {
    return String.format(Locale.ROOT, "epoch-%04d.json", epoch);
  }

  /** {@code mlm-epoch-0002.json} for masked-LM epoch 2. */
  public static String mlmEpochKey(int epoch) {
    return String.format(Locale.ROOT, "mlm-epoch-%04d.json", epoch);
  }

  /**
   * Value of an {@code mlm-epoch-NNNN.json} key: a finished masked-LM epoch, its mean loss over the
   * masked tokens, out of {@code epochs}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record MlmEpoch(
      Integer epoch, Integer epochs, Double loss, Double samplesPerSecond, String finishedAt) {}

  /** Value of an {@code epoch-NNNN.json} key. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Epoch(
      Integer epoch,
      Double trainLoss,
      Double evalLoss,
      Double accuracy,
      Double microF1,
      Double auprc,
      Double samplesPerSecond,
      String modelPath,
      String finishedAt) {

    public EpochStatus toStatus() {
      return new EpochStatus(
          epoch,
          trainLoss,
          evalLoss,
          accuracy,
          microF1,
          auprc,
          samplesPerSecond,
          modelPath,
          finishedAt);
    }
  }

  /**
   * Value of {@code summary.json}, also the trainer's termination message. {@code modelPath} is
   * relative to the model volume root ({@code <namespace>/<run>/epoch-<N>}).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Summary(
      Integer bestEpoch,
      String metric,
      Double value,
      String modelPath,
      Integer epochsRun,
      Boolean earlyStopped,
      String finishedAt,
      ModelShape model) {

    public Summary(
        Integer bestEpoch,
        String metric,
        Double value,
        String modelPath,
        Integer epochsRun,
        Boolean earlyStopped,
        String finishedAt) {
      this(bestEpoch, metric, value, modelPath, epochsRun, earlyStopped, finishedAt, null);
    }
  }

  /**
   * {@code device.json}: where the trainer runs and on which libtorch, written when it starts (the
   * operator shows it in {@code status.training.device}).
   *
   * @param device {@code cpu()} or {@code gpu(0)}
   * @param gpusVisible GPUs libtorch sees
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Device(
      String device, String libtorch, String flavor, Integer gpusVisible, String startedAt) {

    /** One line for the status: {@code cpu() (libtorch 2.7.1, flavor cpu, 0 GPUs visible)}. */
    public String describe() {
      return device
          + " (libtorch "
          + libtorch
          + ", flavor "
          + flavor
          + ", "
          + gpusVisible
          + (Integer.valueOf(1).equals(gpusVisible) ? " GPU" : " GPUs")
          + " visible)";
    }
  }
}
