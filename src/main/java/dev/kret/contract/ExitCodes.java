package dev.kret.contract;

/** Exit codes of every kretctl command, which scripts and the Job's podFailurePolicy rely on. */
public final class ExitCodes {
  public static final int OK = 0;

  /** Something failed at run time (I/O, the engine); retrying may help. */
  public static final int FAILED = 1;

  /** Bad command line (picocli's own code). */
  public static final int USAGE = 2;

  /**
   * The spec or the data is invalid; retrying cannot help. The training Job's podFailurePolicy
   * fails the Job at once on it, and the operator reports InvalidConfiguration.
   */
  public static final int INVALID_CONFIG = 3;

  /** The named object (run, serving Deployment, pod) does not exist. */
  public static final int NOT_FOUND = 4;

  /** No API server answered (no kubeconfig, wrong address, network, TLS). */
  public static final int CLUSTER_UNREACHABLE = 5;

  /** The FineTuneRun CRD is not installed in the cluster. */
  public static final int CRD_MISSING = 6;

  /** The API server rejected the credentials (401) or the request (403). */
  public static final int FORBIDDEN = 7;

  private ExitCodes() {}
}
