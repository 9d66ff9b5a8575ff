package dev.kret.cli;

/** Exit codes scripts (and the Job's podFailurePolicy) rely on. */
public final class ExitCodes {
  public static final int OK = 0;

  /** Something failed at run time (I/O, the engine); retrying may help. */
  public static final int FAILED = 1;

  /** Bad command line (picocli's own code). */
  public static final int USAGE = 2;

  /** The spec or the data is invalid; retrying cannot help. */
  public static final int INVALID_CONFIG = 3;

  private ExitCodes() {}
}
