package dev.kret.cli;

import dev.kret.contract.ExitCodes;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * API errors as every command reports them: the one mapping of the API server's answers (401, 403,
 * 404, 409, 400/422) and of an unreachable server to an exit code ({@link ExitCodes}) and a
 * one-line message.
 */
final class ApiErrors {

  /** What a command prints and exits with. */
  record Failure(int exitCode, String message) {}

  static final String REJECTED_CREDENTIALS =
      "the API server rejected the credentials of the current context (log in again)";

  private ApiErrors() {}

  /** A client exception; {@code master} names the server when none answered. */
  static Failure of(KubernetesClientException e, Supplier<String> master) {
    if (isUnreachable(e)) {
      return new Failure(
          ExitCodes.CLUSTER_UNREACHABLE,
          "no cluster reachable at "
              + master.get()
              + ": "
              + rootMessage(e)
              + " (check kubectl config current-context, --context or --kubeconfig)");
    }
    return of(e.getCode(), statusMessage(e));
  }

  /** The API server's answer {@code code} with its message {@code why}. */
  static Failure of(int code, String why) {
    return switch (code) {
      case 401 -> new Failure(ExitCodes.FORBIDDEN, REJECTED_CREDENTIALS);
      case 403 -> new Failure(ExitCodes.FORBIDDEN, "forbidden: " + why);
      case 404 -> new Failure(ExitCodes.NOT_FOUND, "not found: " + why);
      case 409 -> new Failure(ExitCodes.FAILED, "conflict: " + why + " (retry)");
      case 400, 422 -> new Failure(ExitCodes.INVALID_CONFIG, "invalid: " + why);
      default -> new Failure(ExitCodes.FAILED, "error: " + why);
    };
  }

  /** No API server answered: the failure is an I/O error, not a status. */
  static boolean isUnreachable(Throwable e) {
    if (e instanceof KubernetesClientException k && k.getCode() > 0) {
      return false;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  /** The message of the API server's Status, else the exception's. */
  static String statusMessage(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage();
    }
    return e.getMessage();
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
