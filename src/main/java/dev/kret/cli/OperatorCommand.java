package dev.kret.cli;

import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.Quarkus;
import jakarta.inject.Inject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code kretctl operator}: reconciles FineTuneRuns until the process is stopped. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Run the FineTuneRun operator against the current cluster until stopped.")
public class OperatorCommand implements Callable<Integer> {
  @Inject Operator operator;

  @Override
  public Integer call() {
    // start-operator=false keeps every other kretctl command from watching the cluster.
    operator.start();
    Quarkus.waitForExit();
    return 0;
  }
}
