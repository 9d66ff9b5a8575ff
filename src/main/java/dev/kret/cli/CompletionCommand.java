package dev.kret.cli;

import dev.kret.contract.ExitCodes;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kretctl completion}: bash (and zsh via bashcompinit) completion script. */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = {
      "Print the bash completion script.",
      "  source <(kretctl completion)        # this shell",
      "  kretctl completion > /etc/bash_completion.d/kretctl",
      "zsh: autoload -U +X bashcompinit && bashcompinit, then source it."
    })
public class CompletionCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    var root = spec.root().commandLine();
    spec.commandLine().getOut().print(AutoComplete.bash(root.getCommandName(), root));
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
