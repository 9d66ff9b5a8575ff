package dev.kret.operator;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** OperatorConfig at its documented defaults, for pure tests. */
class TestConfig implements OperatorConfig {
  @Override
  public String image() {
    return "ghcr.io/kret-dev/kret:0.1.0";
  }

  @Override
  public java.util.Optional<java.util.List<String>> imagePullSecrets() {
    return java.util.Optional.of(java.util.List.of("regcred"));
  }

  @Override
  public String imagePullPolicy() {
    return "IfNotPresent";
  }

  @Override
  public Duration pendingDeadline() {
    return Duration.ofMinutes(5);
  }

  @Override
  public Duration summaryGrace() {
    return Duration.ofSeconds(30);
  }

  @Override
  public int backoffLimit() {
    return 3;
  }

  @Override
  public Duration activeDeadline() {
    return Duration.ofHours(72);
  }

  @Override
  public Duration ttlAfterFinished() {
    return Duration.ofHours(168);
  }

  @Override
  public Duration terminationGracePeriod() {
    return Duration.ofSeconds(120);
  }

  @Override
  public long runAsUser() {
    return 1001;
  }

  @Override
  public ConfigValues.NodeSelector gpuNodeSelector() {
    return new ConfigValues.NodeSelector(Map.of());
  }

  @Override
  public ConfigValues.Tolerations gpuTolerations() {
    return new ConfigValues.Tolerations(List.of());
  }

  @Override
  public Optional<String> queueName() {
    return Optional.empty();
  }

  @Override
  public String modelClaim() {
    return "kret-models";
  }
}
