package dev.kret.cli;

import dev.kret.contract.ExitCodes;
import dev.kret.train.TrainBench;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kretctl bench}: performance measurements that print figures. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that print figures.",
    subcommands = {BenchCommand.Train.class, ServeBenchCommand.class})
public class BenchCommand {

  /** {@code kretctl bench train}: training-step throughput and MFU on random data. */
  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description = "Time full training steps and report samples/s, GFLOP/s and MFU.")
  public static class Train implements Callable<Integer> {
    @Spec CommandSpec command;

    @Mixin ModelSizeOptions size;

    @Option(names = "--batch", defaultValue = "16")
    int batch;

    @Option(names = "--seq", defaultValue = "64")
    int seq;

    @Option(names = "--steps", defaultValue = "5")
    int steps;

    @Option(names = "--warmup", defaultValue = "2")
    int warmup;

    @Override
    public Integer call() {
      PrintWriter out = command.commandLine().getOut();
      TrainBench.Result r =
          TrainBench.run(size.layers, size.hidden, size.heads, batch, seq, steps, warmup);
      out.printf(
          Locale.ROOT,
          "model       %d layers x %d hidden x %d heads, %,d parameters%n",
          size.layers,
          size.hidden,
          size.heads,
          r.parameters());
      out.printf(
          Locale.ROOT,
          "step        batch %d x seq %d, %.3f s/step%n",
          batch,
          seq,
          r.secondsPerStep());
      out.printf(Locale.ROOT, "samples/s   %.1f%n", r.samplesPerSecond());
      out.printf(Locale.ROOT, "step GFLOP  %.1f (matmul, forward+backward)%n", r.stepGflop());
      out.printf(Locale.ROOT, "achieved    %.1f GFLOP/s%n", r.achievedGflops());
      out.printf(
          Locale.ROOT,
          "gemm        %.1f GFLOP/s (libtorch float32 on the step's matmul shapes, same run)%n",
          r.gemmGflops());
      out.printf(
          Locale.ROOT,
          "split       forward+backward %.1f%%, clip+AdamW %.1f%%%n",
          100 * r.forwardBackwardShare(),
          100 * r.optimizerShare());
      out.printf(Locale.ROOT, "MFU %.1f%%%n", 100 * r.mfu());
      out.flush();
      return ExitCodes.OK;
    }
  }
}
