package dev.kret.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.kret.data.Labels;
import dev.kret.model.BatchArrays;
import dev.kret.model.Djl;
import dev.kret.model.HeadType;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
import java.util.Random;

/**
 * Times full training steps (forward, backward, global-norm clipping, AdamW) on random data and
 * compares the achieved matmul FLOP rate with libtorch's own float32 GEMM rate measured in the same
 * process: the model FLOPs utilisation (MFU) of the training loop.
 */
public final class TrainBench {

  /** What one benchmark run measured. */
  public record Result(
      long parameters,
      double secondsPerStep,
      double samplesPerSecond,
      double stepGflop,
      double achievedGflops,
      double gemmGflops,
      double mfu,
      double forwardBackwardShare,
      double optimizerShare) {}

  private TrainBench() {}

  public static Result run(
      int layers, int hidden, int heads, int batch, int seq, int steps, int warmup) {
    Djl.offline();
    RobertaConfig cfg =
        RobertaConfig.small(32000, hidden, layers, heads, 4 * hidden, Labels.RELATIONS)
            .withHead(HeadType.ENTITY_START);
    double gemm = gemmGflops(cfg, batch, seq);
    try (RelationModel model = RelationModel.random(cfg, Device.cpu(), 1);
        AdamW opt = new AdamW(model, 0.01)) {
      Random r = new Random(7);
      long[] ids = new long[batch * seq];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 5 + r.nextInt(31000);
      }
      long[] labels = new long[batch];
      long[] subj = new long[batch];
      long[] obj = new long[batch];
      for (int i = 0; i < batch; i++) {
        labels[i] = r.nextInt(30);
        subj[i] = 1 + r.nextInt(seq / 2);
        obj[i] = seq / 2 + r.nextInt(seq / 2 - 1);
      }
      long fb = 0;
      long op = 0;
      for (int s = 0; s < warmup + steps; s++) {
        try (NDManager m = model.manager().newSubManager()) {
          long t0 = System.nanoTime();
          BatchArrays b =
              new BatchArrays(
                  m.create(ids, new Shape(batch, seq)),
                  m.ones(new Shape(batch, seq), DataType.INT64),
                  m.create(subj),
                  m.create(obj));
          TrainStep.forwardBackward(model, m, b, labels, 1.0);
          long t1 = System.nanoTime();
          double norm = opt.gradNorm(m);
          opt.step(1e-4, norm > 1.0 ? 1.0 / norm : 1.0, m);
          long t2 = System.nanoTime();
          if (s >= warmup) {
            fb += t1 - t0;
            op += t2 - t1;
          }
        }
      }
      double sec = (fb + op) / 1e9 / steps;
      double flop = stepFlops(cfg, batch, seq);
      double achieved = flop / sec / 1e9;
      return new Result(
          model.parameterCount(),
          sec,
          batch / sec,
          flop / 1e9,
          achieved,
          gemm,
          achieved / gemm,
          fb / (double) (fb + op),
          op / (double) (fb + op));
    }
  }

  /**
   * Matmul FLOPs of one training step: forward (projections, attention scores and context, FFN,
   * head) times three for forward plus backward.
   */
  public static double stepFlops(RobertaConfig c, int batch, int seq) {
    double bt = (double) batch * seq;
    double h = c.hiddenSize();
    double i = c.intermediateSize();
    double perLayer = 2 * bt * (4 * h * h + 2 * h * i) + 2 * 2 * batch * (double) seq * seq * h;
    double head = 2 * batch * (2 * h * h + h * c.numLabels());
    return 3 * (c.numLayers() * perLayer + head);
  }

  /**
   * libtorch's float32 GEMM rate on this step's own matmul shapes: one forward pass worth of
   * projection, FFN and attention products ({@code [B·T, H] × [H, H]} four times, {@code [B·T, H] ×
   * [H, I]}, {@code [B·T, I] × [I, H]}, and the batched {@code QKᵀ} and {@code PV}), timed
   * together; the median of nine repetitions after two untimed ones.
   */
  public static double gemmGflops(RobertaConfig c, int batch, int seq) {
    try (NDManager mgr = Djl.engine().newBaseManager(Device.cpu())) {
      JniUtils.setGradMode(false); // only after the engine has loaded libtorch
      int bt = batch * seq;
      int h = c.hiddenSize();
      int i = c.intermediateSize();
      int heads = c.numHeads();
      int hd = c.headDim();
      NDArray x = mgr.randomNormal(new Shape(bt, h));
      NDArray wh = mgr.randomNormal(new Shape(h, h));
      NDArray wi = mgr.randomNormal(new Shape(h, i));
      NDArray xi = mgr.randomNormal(new Shape(bt, i));
      NDArray wo = mgr.randomNormal(new Shape(i, h));
      NDArray q = mgr.randomNormal(new Shape(batch, heads, seq, hd));
      NDArray k = mgr.randomNormal(new Shape(batch, heads, hd, seq));
      NDArray p = mgr.randomNormal(new Shape(batch, heads, seq, seq));
      double flop =
          2.0 * bt * (4.0 * h * h + 2.0 * h * i) + 2.0 * 2.0 * batch * (double) seq * seq * h;
      double[] rates = new double[9];
      for (int rep = -2; rep < rates.length; rep++) {
        try (NDManager s = mgr.newSubManager()) {
          long t0 = System.nanoTime();
          NDArray last = null;
          for (int j = 0; j < 4; j++) {
            last = x.matMul(wh);
            last.attach(s);
          }
          x.matMul(wi).attach(s);
          xi.matMul(wo).attach(s);
          q.matMul(k).attach(s);
          NDArray pv = p.matMul(q);
          pv.attach(s);
          pv.getFloat(0, 0, 0, 0);
          long t1 = System.nanoTime();
          if (rep >= 0) {
            rates[rep] = flop / ((t1 - t0) / 1e9) / 1e9;
          }
        }
      }
      java.util.Arrays.sort(rates);
      return rates[rates.length / 2];
    }
  }
}
