package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.contract.ExitCodes;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class ApiErrorsTest {

  @Test
  void eachAnswerOfTheApiServerHasItsExitCodeAndMessage() {
    assertThat(ApiErrors.of(401, "x"))
        .isEqualTo(new ApiErrors.Failure(ExitCodes.FORBIDDEN, ApiErrors.REJECTED_CREDENTIALS));
    assertThat(ApiErrors.of(403, "no"))
        .isEqualTo(new ApiErrors.Failure(ExitCodes.FORBIDDEN, "forbidden: no"));
    assertThat(ApiErrors.of(404, "gone"))
        .isEqualTo(new ApiErrors.Failure(ExitCodes.NOT_FOUND, "not found: gone"));
    assertThat(ApiErrors.of(409, "changed"))
        .isEqualTo(new ApiErrors.Failure(ExitCodes.FAILED, "conflict: changed (retry)"));
    assertThat(ApiErrors.of(422, "bad"))
        .isEqualTo(new ApiErrors.Failure(ExitCodes.INVALID_CONFIG, "invalid: bad"));
    assertThat(ApiErrors.of(400, "bad"))
        .isEqualTo(new ApiErrors.Failure(ExitCodes.INVALID_CONFIG, "invalid: bad"));
    assertThat(ApiErrors.of(500, "oops"))
        .isEqualTo(new ApiErrors.Failure(ExitCodes.FAILED, "error: oops"));
  }

  @Test
  void theStatusMessageIsPreferredAndNoAnswerIsUnreachable() {
    KubernetesClientException forbidden =
        new KubernetesClientException(
            new StatusBuilder().withCode(403).withMessage("runs are forbidden").build());
    assertThat(ApiErrors.of(forbidden, () -> "https://api:6443"))
        .isEqualTo(new ApiErrors.Failure(ExitCodes.FORBIDDEN, "forbidden: runs are forbidden"));

    KubernetesClientException down =
        new KubernetesClientException("failed", new ConnectException("Connection refused"));
    ApiErrors.Failure f = ApiErrors.of(down, () -> "https://api:6443");
    assertThat(f.exitCode()).isEqualTo(ExitCodes.CLUSTER_UNREACHABLE);
    assertThat(f.message())
        .isEqualTo(
            "no cluster reachable at https://api:6443: ConnectException: Connection refused"
                + " (check kubectl config current-context, --context or --kubeconfig)");
  }
}
