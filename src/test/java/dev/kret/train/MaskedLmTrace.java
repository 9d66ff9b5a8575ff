package dev.kret.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.data.KlueReDataset;
import dev.kret.data.Labels;
import dev.kret.data.LoadOptions;
import dev.kret.model.Djl;
import dev.kret.model.MaskedLmHead;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
import dev.kret.model.weights.SafetensorsWriter;
import dev.kret.model.weights.TensorData;
import dev.kret.text.MarkerScheme;
import dev.kret.text.RelationEncoder;
import dev.kret.text.RelationEncoder.Encoded;
import dev.kret.text.TextTokenizer;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Not a test: a trace of masked-LM steps for bench/reference/mlm_trace_replay.py, run by hand
 * ({@code mvn -B -q test -Dtest=MaskedLmTrace -Dsurefire.failIfNoSpecifiedTests=false
 * -Dkret.mlmTrace=OUT}; skipped otherwise). Writes the initial weights ({@code init.safetensors})
 * and per step ({@code steps.jsonl}) the masked batch, learning rate, loss, gradient norm, every
 * tensor's gradient norm (the first {@code gradSteps} steps) and every tensor's norm after the
 * step. The masks, batch order and dropout come from kret's own code ({@code
 * MaskedLmPretraining.mask}, {@code Batching.lengthGrouped}, libtorch's generator seeded per epoch)
 * with the seeds {@code MaskedLmPretraining.run} uses, so a trace of a whole epoch is that epoch of
 * a run on the same rows, model size and seed; the optimizer step is {@code
 * TrainStep.optimizerStep}. Options ({@code -Dkret.mlmTrace.NAME=VALUE}): {@code data} (a KLUE-RE
 * train.json; default the shared copy, so this never runs in the build), {@code rows} (3200),
 * {@code steps} (300), {@code total} (the schedule's length, default {@code steps}), {@code batch}
 * (32), {@code dropout} (0), {@code wd} (0.01), {@code seed} (42), {@code hidden} (128), {@code
 * gradSteps} (3).
 */
class MaskedLmTrace {

  private static String prop(String k, String d) {
    return System.getProperty("kret.mlmTrace." + k, d);
  }

  private static double norm(float[] values) {
    double sq = 0;
    for (float x : values) {
      sq += (double) x * x;
    }
    return Math.sqrt(sq);
  }

  @Test
  @EnabledIfSystemProperty(named = "kret.mlmTrace", matches = ".+")
  void trace() throws Exception {
    Path out = Path.of(System.getProperty("kret.mlmTrace"));
    Files.createDirectories(out);
    String data = prop("data", "/work/shared/data/klue-re/train.json");
    int rows = Integer.parseInt(prop("rows", "3200"));
    int steps = Integer.parseInt(prop("steps", "300"));
    long total = Long.parseLong(prop("total", Integer.toString(steps)));
    int batch = Integer.parseInt(prop("batch", "32"));
    double dropout = Double.parseDouble(prop("dropout", "0"));
    double wd = Double.parseDouble(prop("wd", "0.01"));
    long seed = Long.parseLong(prop("seed", "42"));
    int hidden = Integer.parseInt(prop("hidden", "128"));
    int gradSteps = Integer.parseInt(prop("gradSteps", "3"));
    try (TextTokenizer tok =
        TextTokenizer.loadBuiltin("klue-roberta-base", MarkerScheme.TYPED_PUNCT.addedTokens())) {
      RelationEncoder encoder = new RelationEncoder(tok, MarkerScheme.TYPED_PUNCT, 256);
      KlueReDataset ds = KlueReDataset.load(data, LoadOptions.DEFAULT);
      List<Encoded> train = new ArrayList<>();
      for (int i = 0; i < Math.min(rows, ds.size()); i++) {
        train.add(encoder.encode(ds.examples().get(i)));
      }
      RobertaConfig cfg =
          RobertaConfig.small(tok.vocabSize(), hidden, 2, 4, 4 * hidden, Labels.RELATIONS)
              .withDropout(dropout);
      try (RelationModel model = RelationModel.random(cfg, Device.cpu(), seed, 0.05);
          MaskedLmHead head = MaskedLmHead.create(model, Map.of(), seed)) {
        List<TensorData> init = new ArrayList<>(model.toTensors());
        init.addAll(head.toTensors());
        SafetensorsWriter.write(out.resolve("init.safetensors"), init, Map.of());
        Map<String, NDArray> params = MaskedLmPretraining.parameters(model, head);
        LinearSchedule schedule = LinearSchedule.of(1e-3, 0.1, total);
        ObjectMapper json = new ObjectMapper();
        Engine engine = Djl.engine();
        try (AdamW opt = new AdamW(params, model.manager(), wd, 0.9, 0.999, 1e-8);
            BufferedWriter w = Files.newBufferedWriter(out.resolve("steps.jsonl"))) {
          int step = 0;
          for (int epoch = 1; step < steps; epoch++) {
            engine.setRandomSeed((int) (seed * 1_000_003L - epoch));
            SplittableRandom masks = new SplittableRandom(seed * 1_000_003L - epoch);
            for (int[] idx : Batching.lengthGrouped(train, batch, new Random(seed * 31 - epoch))) {
              if (step >= steps) {
                break;
              }
              RelationEncoder.Batch b = EpochLoop.collate(train, idx, cfg.padTokenId());
              MaskedLmPretraining.Masked mk =
                  MaskedLmPretraining.mask(
                      b, 0.15, tok.maskId(), tok.specialIds(), cfg.vocabSize(), masks);
              double lr = schedule.rate(opt.stepCount());
              float loss;
              double norm;
              ObjectNode rec = json.createObjectNode();
              try (NDManager m = model.manager().newSubManager()) {
                loss = MaskedLmPretraining.forwardBackward(head, m, mk, 1.0);
                if (step < gradSteps) {
                  ObjectNode g = rec.putObject("grad_norms");
                  for (Map.Entry<String, NDArray> e : params.entrySet()) {
                    NDArray grad = e.getValue().getGradient();
                    grad.attach(m);
                    g.put(e.getKey(), norm(grad.toFloatArray()));
                  }
                }
                norm = TrainStep.optimizerStep(opt, schedule, 1.0, m);
              }
              double sq = 0;
              ObjectNode pn = rec.putObject("param_norms");
              for (Map.Entry<String, NDArray> e : params.entrySet()) {
                double n = norm(e.getValue().toFloatArray());
                pn.put(e.getKey(), n);
                sq += n * n;
              }
              rec.put("step", step);
              rec.put("epoch", epoch);
              rec.put("dropout_seed", (int) (seed * 1_000_003L - epoch));
              rec.putPOJO("ids", mk.batch().ids());
              rec.putPOJO("mask", mk.batch().mask());
              rec.putPOJO("positions", mk.positions());
              rec.putPOJO("targets", mk.targets());
              rec.put("lr", lr);
              rec.put("loss", loss);
              rec.put("grad_norm", norm);
              rec.put("param_norm", Math.sqrt(sq));
              w.write(json.writeValueAsString(rec));
              w.newLine();
              step++;
            }
          }
        }
      }
    }
  }
}
