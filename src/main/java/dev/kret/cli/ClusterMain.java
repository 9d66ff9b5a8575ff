package dev.kret.cli;

import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The entry point the {@code kretctl} script uses for the short-lived commands that only talk to
 * the API server or print help ({@code status}, {@code apply}, {@code delete}, {@code logs}, {@code
 * promote}, {@code rollback}, {@code completion}, {@code --help}, {@code --version}): the same
 * picocli command tree as the Quarkus application, run without starting the Quarkus runtime. None
 * of these commands uses CDI or configuration; starting Quarkus and its extensions was about a
 * fifth of a {@code kretctl status} (docs/cli.md, "Startup time"). Training, serving and the
 * operator always go through the Quarkus application.
 */
public final class ClusterMain {

  // What application.properties sets for the Quarkus application; held so the levels stay.
  private static final Logger ROOT = Logger.getLogger("");
  private static final Logger KRET = Logger.getLogger("dev.kret");
  private static final Logger VERSION_USAGE =
      Logger.getLogger("io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils");

  private ClusterMain() {}

  public static void main(String[] args) {
    ROOT.setLevel(Level.WARNING);
    KRET.setLevel(Level.INFO);
    VERSION_USAGE.setLevel(Level.SEVERE);
    KubeconfigParsing.skipModelScan();
    System.exit(commandLine(args).execute(args));
  }

  /**
   * The command tree for these arguments: when the first one names a command that talks to the API
   * server, the top command with only that subcommand (reading every subcommand's options by
   * reflection was a tenth of a status call); otherwise (help, version, completion, which prints
   * the whole tree, a mistyped command) the whole tree.
   */
  static CommandLine commandLine(String[] args) {
    Command top = KretCtl.class.getAnnotation(Command.class);
    if (args.length > 0) {
      for (Class<?> sub : top.subcommands()) {
        Command command = sub.getAnnotation(Command.class);
        if (command != null
            && command.name().equals(args[0])
            && ClusterCommand.class.isAssignableFrom(sub)) {
          CommandSpec spec = CommandSpec.wrapWithoutInspection(new KretCtl());
          spec.name(top.name())
              .version(top.version())
              .mixinStandardHelpOptions(top.mixinStandardHelpOptions());
          spec.usageMessage().description(top.description());
          CommandLine only = new CommandLine(spec);
          only.addSubcommand(command.name(), instance(sub));
          return only;
        }
      }
    }
    return new CommandLine(new KretCtl());
  }

  private static Object instance(Class<?> type) {
    try {
      return CommandLine.defaultFactory().create(type);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create " + type.getName(), e);
    }
  }
}
