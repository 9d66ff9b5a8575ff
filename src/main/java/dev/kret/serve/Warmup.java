package dev.kret.serve;

import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.model.RelationClassifier;
import dev.kret.text.RelationEncoder.Encoded;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The forward passes run on every worker before readiness flips, so that the first real request
 * does not pay for libtorch's lazy set-up (its thread pool is per calling thread), the first
 * allocations of the largest tensors, and DJL's class loading: measured here on the tiny model, the
 * first pass took 73 ms and the next ones 4–11 ms. A batch is padded to its longest row (no length
 * buckets), so the passes span the extremes: one row and a full batch, each at a short real
 * sentence and at the model's maximum length.
 */
final class Warmup {
  private static final Logger LOG = Logger.getLogger(Warmup.class);

  private Warmup() {}

  /** Batches of 1 and {@code maxBatch} rows, of a short sentence and of the maximum length. */
  static List<List<Encoded>> batches(RelationClassifier classifier, int maxBatch) {
    Encoded real = sample(classifier);
    Encoded longest = stretched(real, classifier.encoder().maxLength());
    List<List<Encoded>> out = new ArrayList<>();
    for (Encoded row : List.of(real, longest)) {
      out.add(List.of(row));
      if (maxBatch > 1) {
        out.add(Collections.nCopies(maxBatch, row));
      }
    }
    return out;
  }

  /** The first bundled KLUE-RE validation query, encoded as a request would be. */
  private static Encoded sample(RelationClassifier classifier) {
    try {
      RelationExample ex =
          KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
              .examples()
              .get(0);
      return classifier.encoder().encode(ex);
    } catch (RuntimeException e) {
      // A model whose entity types differ from KLUE-RE's: any valid ids do for timing.
      LOG.debugf("warm-up falls back to synthetic ids: %s", e.getMessage());
      int[] ids = new int[8];
      return new Encoded(ids, 1, 4);
    }
  }

  /** The row repeated up to {@code length} tokens, keeping its last token and entity indices. */
  static Encoded stretched(Encoded row, int length) {
    int[] src = row.ids();
    if (src.length >= length || src.length < 3) {
      return row;
    }
    int[] ids = new int[length];
    System.arraycopy(src, 0, ids, 0, src.length - 1);
    for (int i = src.length - 1, j = 1; i < length - 1; i++, j = j % (src.length - 2) + 1) {
      ids[i] = src[j];
    }
    ids[length - 1] = src[src.length - 1];
    return new Encoded(ids, row.subjectIndex(), row.objectIndex());
  }
}
