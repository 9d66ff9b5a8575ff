package dev.kret.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --verbose} for the local commands: stack traces only when asked for. */
public class VerboseOption {

  @Option(names = "--verbose", description = "Print stack traces.")
  public boolean verbose;

  /** Prints the stack trace of {@code e} when verbose, and flushes {@code err}. */
  public void trace(PrintWriter err, Exception e) {
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
  }
}
