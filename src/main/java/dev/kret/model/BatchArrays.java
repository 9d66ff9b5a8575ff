package dev.kret.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.kret.text.RelationEncoder;

/** A padded batch as device arrays of one per-step manager. */
public record BatchArrays(NDArray ids, NDArray mask, NDArray subject, NDArray object) {

  public static BatchArrays of(NDManager m, RelationEncoder.Batch b) {
    int n = b.size();
    int t = b.sequenceLength();
    long[] ids = new long[n * t];
    long[] mask = new long[n * t];
    long[] subj = new long[n];
    long[] obj = new long[n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(b.ids()[i], 0, ids, i * t, t);
      System.arraycopy(b.mask()[i], 0, mask, i * t, t);
      subj[i] = b.subjectIndex()[i];
      obj[i] = b.objectIndex()[i];
    }
    return new BatchArrays(
        m.create(ids, new Shape(n, t)),
        m.create(mask, new Shape(n, t)),
        m.create(subj, new Shape(n)),
        m.create(obj, new Shape(n)));
  }

  public NDArray logits(RelationModel model, boolean training) {
    return model.logits(ids, mask, subject, object, training);
  }
}
