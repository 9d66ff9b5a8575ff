package dev.kret.cli;

import io.quarkus.picocli.runtime.annotations.TopCommand;
import picocli.CommandLine.Command;

/** The kretctl entry point: every role of the one image is a subcommand. */
@TopCommand
@Command(
    name = "kretctl",
    mixinStandardHelpOptions = true,
    version = "kretctl 0.1.0",
    description = "Fine-tune and serve Korean relation-extraction models.",
    subcommands = {
      TrainCommand.class,
      EvalCommand.class,
      StatusCommand.class,
      ApplyCommand.class,
      DeleteCommand.class,
      LogsCommand.class,
      PromoteCommand.class,
      RollbackCommand.class,
      CompletionCommand.class,
      PredictCommand.class,
      BenchCommand.class,
      DataCommand.class,
      ServeCommand.class,
      OperatorCommand.class
    })
public class KretCtl {}
