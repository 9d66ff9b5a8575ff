package dev.kret.train;

/**
 * Linear warmup to the peak rate, then linear decay to zero (HF get_linear_schedule_with_warmup).
 */
public record LinearSchedule(double peak, long warmupSteps, long totalSteps) {

  public static LinearSchedule of(double peak, double warmupRatio, long totalSteps) {
    return new LinearSchedule(peak, (long) Math.ceil(warmupRatio * totalSteps), totalSteps);
  }

  /** The rate for the optimizer step with 0-based index {@code step}. */
  public double rate(long step) {
    if (step < warmupSteps) {
      return peak * (double) step / Math.max(1, warmupSteps);
    }
    return peak
        * Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  }
}
