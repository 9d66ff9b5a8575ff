package dev.kret.cli;

import dev.kret.data.RelationExample;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Offline inference for eval and predict. It lives outside the command classes on purpose: picocli
 * loads every command class at start-up, and the verifier would then load the model classes for
 * cluster commands that never touch a model.
 */
final class OfflineModel {

  private OfflineModel() {}

  /** Log-probabilities in input order and the model's label order. */
  record Scores(List<String> labels, float[][] logProbs) {
    float[][] probabilities() {
      return RelationClassifier.exp(logProbs);
    }

    double meanNll(int[] gold) {
      return RelationClassifier.meanNll(logProbs, gold);
    }
  }

  static Scores score(Path dir, List<RelationExample> examples, int batchSize) throws IOException {
    Djl.offline();
    try (ModelDirectory.Opened opened = ModelDirectory.open(dir, Djl.device(true))) {
      RelationClassifier clf = new RelationClassifier(opened);
      return new Scores(clf.labels(), clf.logProbabilities(examples, batchSize));
    }
  }
}
