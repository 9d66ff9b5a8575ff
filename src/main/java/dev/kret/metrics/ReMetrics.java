package dev.kret.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The official KLUE-RE metrics, reproducing the KLUE baseline's scikit-learn computation: accuracy,
 * micro-F1 over the relations 1..N-1 (no_relation = 0 excluded) and one-vs-rest AUPRC averaged over
 * all classes, each x100.
 */
public final class ReMetrics {

  /** Index of {@code no_relation}, the class micro-F1 leaves out. */
  public static final int NO_RELATION = 0;

  private ReMetrics() {}

  /** Row-wise argmax; ties go to the lowest index, as {@code numpy.argmax} does. */
  public static int[] argmax(float[][] probs) {
    int[] preds = new int[probs.length];
    for (int i = 0; i < probs.length; i++) {
      float[] row = probs[i];
      if (row.length == 0) {
        throw new IllegalArgumentException("Row " + i + " of probs is empty");
      }
      int best = 0;
      for (int c = 1; c < row.length; c++) {
        if (row[c] > row[best]) {
          best = c;
        }
      }
      preds[i] = best;
    }
    return preds;
  }

  /** Percentage of predictions equal to the gold label. */
  public static double accuracy(int[] labels, int[] preds) {
    checkSameLength(labels, preds.length, "preds");
    if (labels.length == 0) {
      throw new IllegalArgumentException("No examples to score");
    }
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] == preds[i]) {
        correct++;
      }
    }
    return 100.0 * correct / labels.length;
  }

  /**
   * sklearn's {@code f1_score(average="micro", labels=[1..N-1])} x100: true positives, false
   * positives and false negatives pooled over every class but no_relation; 0 when undefined.
   */
  public static double microF1(int[] labels, int[] preds) {
    checkSameLength(labels, preds.length, "preds");
    long tp = 0;
    long fp = 0;
    long fn = 0;
    for (int i = 0; i < labels.length; i++) {
      int gold = labels[i];
      int pred = preds[i];
      if (gold == pred) {
        if (gold != NO_RELATION) {
          tp++;
        }
      } else {
        if (pred != NO_RELATION) {
          fp++;
        }
        if (gold != NO_RELATION) {
          fn++;
        }
      }
    }
    return 100.0 * f1(tp, fp, fn);
  }

  /**
   * Mean over classes 0..numClasses-1 of {@code sklearn.metrics.auc(recall, precision)} on the
   * one-vs-rest {@code precision_recall_curve(labels == c, probs[:, c])}, x100.
   */
  public static double auprc(int[] labels, float[][] probs, int numClasses) {
    checkSameLength(labels, probs.length, "probs");
    if (labels.length == 0) {
      throw new IllegalArgumentException("No examples to score");
    }
    int n = labels.length;
    double[] all = new double[n];
    double[] positives = new double[n];
    double sum = 0;
    for (int c = 0; c < numClasses; c++) {
      int numPositives = 0;
      for (int i = 0; i < n; i++) {
        if (probs[i].length != numClasses) {
          throw new IllegalArgumentException(
              "Row " + i + " of probs has " + probs[i].length + " columns, expected " + numClasses);
        }
        double score = probs[i][c];
        if (Double.isNaN(score)) {
          throw new IllegalArgumentException("probs[" + i + "][" + c + "] is NaN");
        }
        all[i] = score;
        if (labels[i] == c) {
          positives[numPositives++] = score;
        }
      }
      sum += binaryAuprc(all, Arrays.copyOf(positives, numPositives));
    }
    return 100.0 * sum / numClasses;
  }

  /**
   * {@code auc(recall, precision)} of sklearn's precision-recall curve for one class. Sorting all
   * scores and the positives' scores separately keeps this O(n log n) on primitives: at each
   * distinct score t (sklearn's thresholds) the positives scoring >= t are the true positives.
   *
   * <p>{@code all} is sorted in place. Points are visited from the highest threshold down, starting
   * at the (recall 0, precision 1) point sklearn appends; the trapezoid over recall is the same sum
   * {@code auc} computes on the reversed arrays.
   *
   * <p>A class without positives: sklearn >= 1.1 sets recall to 1 at every threshold (with an
   * UndefinedMetricWarning); precision is 0 there, so the curve runs (0, 1) -> (1, 0) and scores
   * 0.5. Older versions (KLUE's original pin) divided by zero and made the whole mean NaN. The
   * golden fixture has every class present in every case, so it cannot tell the two apart; we
   * follow current sklearn because a NaN would poison best-checkpoint selection on small eval sets.
   */
  static double binaryAuprc(double[] all, double[] positives) {
    Arrays.sort(all);
    Arrays.sort(positives);
    int numPositives = positives.length;
    double prevRecall = 0.0;
    double prevPrecision = 1.0;
    double area = 0.0;
    int i = all.length - 1;
    int p = numPositives - 1;
    while (i >= 0) {
      double threshold = all[i];
      while (i >= 0 && all[i] == threshold) {
        i--;
      }
      while (p >= 0 && positives[p] >= threshold) {
        p--;
      }
      int predictedPositive = all.length - 1 - i;
      int tp = numPositives - 1 - p;
      double precision = (double) tp / predictedPositive;
      double recall = numPositives == 0 ? 1.0 : (double) tp / numPositives;
      area += (recall - prevRecall) * (precision + prevPrecision) / 2.0;
      prevRecall = recall;
      prevPrecision = precision;
    }
    return area;
  }

  /**
   * Everything a training or evaluation run reports. {@code labelNames} fixes the number of classes
   * and names the per-class rows; {@code evalLoss} is passed through.
   */
  public static EvalReport evaluate(
      int[] labels, float[][] probs, double evalLoss, List<String> labelNames) {
    int numClasses = labelNames.size();
    checkSameLength(labels, probs.length, "probs");
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException(
            "labels[" + i + "] = " + labels[i] + " is outside 0.." + (numClasses - 1));
      }
    }
    int[] preds = argmax(probs);
    int[][] confusion = confusion(labels, preds, numClasses);
    return new EvalReport(
        labels.length,
        accuracy(labels, preds),
        microF1(labels, preds),
        auprc(labels, probs, numClasses),
        evalLoss,
        perClass(confusion, labelNames),
        confusion);
  }

  /** Counts indexed {@code [gold][pred]}. */
  public static int[][] confusion(int[] labels, int[] preds, int numClasses) {
    checkSameLength(labels, preds.length, "preds");
    int[][] counts = new int[numClasses][numClasses];
    for (int i = 0; i < labels.length; i++) {
      counts[labels[i]][preds[i]]++;
    }
    return counts;
  }

  /** sklearn's {@code precision_recall_fscore_support(average=None, zero_division=0)}. */
  public static List<ClassScore> perClass(int[][] confusion, List<String> labelNames) {
    int numClasses = confusion.length;
    List<ClassScore> scores = new ArrayList<>(numClasses);
    for (int k = 0; k < numClasses; k++) {
      long tp = confusion[k][k];
      long support = 0;
      long predicted = 0;
      for (int j = 0; j < numClasses; j++) {
        support += confusion[k][j];
        predicted += confusion[j][k];
      }
      scores.add(
          new ClassScore(
              labelNames.get(k),
              ratio(tp, predicted),
              ratio(tp, support),
              f1(tp, predicted - tp, support - tp),
              (int) support));
    }
    return scores;
  }

  private static double f1(long tp, long fp, long fn) {
    return ratio(2 * tp, 2 * tp + fp + fn);
  }

  private static double ratio(long numerator, long denominator) {
    return denominator == 0 ? 0.0 : (double) numerator / denominator;
  }

  private static void checkSameLength(int[] labels, int otherLength, String other) {
    if (labels.length != otherLength) {
      throw new IllegalArgumentException(
          labels.length + " labels but " + otherLength + " " + other);
    }
  }
}
