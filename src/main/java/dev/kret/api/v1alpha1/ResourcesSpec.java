package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Where and on what the training pod runs. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self == oldSelf",
    message = "resources are immutable; create a new FineTuneRun")
public record ResourcesSpec(
    @JsonPropertyDescription("nvidia.com/gpu limit of the training pod; 0 trains on CPU.")
        @Default("1")
        @Min(0)
        Integer gpus,
    @JsonPropertyDescription("CPU request and limit of the training pod (a Kubernetes quantity).")
        @Default(DEFAULT_CPU)
        @Pattern(QUANTITY)
        String cpu,
    @JsonPropertyDescription(
            "Memory request and limit of the training pod (a Kubernetes quantity).")
        @Default(DEFAULT_MEMORY)
        @Pattern(QUANTITY)
        String memory,
    @JsonPropertyDescription("Node labels the training pod must match (e.g. a GPU product label).")
        Map<String, String> nodeSelector,
    @JsonPropertyDescription("Tolerations of the training pod, e.g. for tainted GPU nodes.")
        List<Toleration> tolerations,
    @JsonPropertyDescription(
            "PriorityClass of the training pod; preemption is retried, not failed.")
        String priorityClassName,
    @JsonPropertyDescription(
            "Kueue LocalQueue; when set the Job is created suspended and Kueue admits it.")
        String queueName) {

  public static final int DEFAULT_GPUS =
      (Integer) SpecDefaults.defaultOf(ResourcesSpec.class, "gpus");
  public static final String DEFAULT_CPU = "8";
  public static final String DEFAULT_MEMORY = "32Gi";
  static final String QUANTITY = "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$";

  static ResourcesSpec defaults() {
    return new ResourcesSpec(null, null, null, null, null, null, null);
  }

  public ResourcesSpec withDefaults() {
    ResourcesSpec d = SpecDefaults.fill(this);
    return new ResourcesSpec(
        d.gpus,
        d.cpu,
        d.memory,
        Objects.requireNonNullElse(nodeSelector, Map.of()),
        Objects.requireNonNullElse(tolerations, List.of()),
        priorityClassName,
        queueName);
  }
}
