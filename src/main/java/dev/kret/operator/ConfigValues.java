package dev.kret.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.spi.Converter;

/**
 * Parsers for the {@code kret.operator.*} values the Helm chart renders as JSON or as object names.
 * SmallRye runs them when the configuration loads, so a malformed value stops the operator at start
 * with a message naming the environment variable, instead of failing every Job later.
 */
public final class ConfigValues {
  static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  static final Set<String> TOLERATION_FIELDS =
      Set.of("key", "operator", "value", "effect", "tolerationSeconds");
  static final Set<String> TOLERATION_OPERATORS = Set.of("Exists", "Equal");
  static final Set<String> TAINT_EFFECTS =
      Set.of("", "NoSchedule", "PreferNoSchedule", "NoExecute");

  private ConfigValues() {}

  /** Node labels, from a JSON object such as {@code {"nvidia.com/gpu.present":"true"}}. */
  public record NodeSelector(Map<String, String> labels) {}

  /** Tolerations, from a JSON array of Kubernetes tolerations. */
  public record Tolerations(List<Toleration> tolerations) {}

  /** {@code kret.operator.gpu-node-selector}. */
  public static final class NodeSelectorConverter implements Converter<NodeSelector> {
    static final String SETTING =
        "KRET_OPERATOR_GPU_NODE_SELECTOR (kret.operator.gpu-node-selector) must be a JSON object"
            + " of node labels, e.g. {\"nvidia.com/gpu.present\":\"true\"}";

    @Override
    public NodeSelector convert(String value) {
      JsonNode node = parse(value, SETTING);
      if (node.isNull()) {
        return new NodeSelector(Map.of());
      }
      if (!node.isObject()) {
        throw invalid(SETTING, "got " + node.getNodeType().name().toLowerCase());
      }
      Map<String, String> labels = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        // Helm renders an unquoted YAML true or 1 as a JSON boolean or number; a label is text.
        if (e.getKey().isBlank() || !e.getValue().isValueNode() || e.getValue().isNull()) {
          throw invalid(SETTING, "label \"" + e.getKey() + "\" has the value " + e.getValue());
        }
        labels.put(e.getKey(), e.getValue().asText());
      }
      return new NodeSelector(labels);
    }
  }

  /** {@code kret.operator.gpu-tolerations}. */
  public static final class TolerationsConverter implements Converter<Tolerations> {
    static final String SETTING =
        "KRET_OPERATOR_GPU_TOLERATIONS (kret.operator.gpu-tolerations) must be a JSON array of"
            + " tolerations, e.g. [{\"key\":\"nvidia.com/gpu\",\"operator\":\"Exists\","
            + "\"effect\":\"NoSchedule\"}]";

    @Override
    public Tolerations convert(String value) {
      JsonNode node = parse(value, SETTING);
      if (node.isNull()) {
        return new Tolerations(List.of());
      }
      if (!node.isArray()) {
        throw invalid(SETTING, "got " + node.getNodeType().name().toLowerCase());
      }
      List<Toleration> tolerations = new ArrayList<>();
      for (int i = 0; i < node.size(); i++) {
        tolerations.add(toleration(node.get(i), "element " + i));
      }
      return new Tolerations(tolerations);
    }

    static Toleration toleration(JsonNode t, String where) {
      if (!t.isObject()) {
        throw invalid(SETTING, where + " is not an object");
      }
      for (Iterator<String> names = t.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!TOLERATION_FIELDS.contains(name)) {
          throw invalid(SETTING, where + " has an unknown field \"" + name + "\"");
        }
      }
      String operator = t.path("operator").asText("Equal");
      if (!TOLERATION_OPERATORS.contains(operator)) {
        throw invalid(SETTING, where + ": operator must be Exists or Equal, not " + operator);
      }
      if (!TAINT_EFFECTS.contains(t.path("effect").asText(""))) {
        throw invalid(
            SETTING,
            where
                + ": effect must be NoSchedule, PreferNoSchedule or NoExecute, not "
                + t.get("effect"));
      }
      if ("Exists".equals(operator) && !t.path("value").asText("").isEmpty()) {
        throw invalid(SETTING, where + ": operator Exists takes no value");
      }
      if (t.has("tolerationSeconds") && !t.get("tolerationSeconds").canConvertToLong()) {
        throw invalid(SETTING, where + ": tolerationSeconds must be a whole number");
      }
      return JSON.convertValue(t, Toleration.class);
    }
  }

  /** {@code kret.operator.queue-name}: a Kueue LocalQueue name, also a label value on the Job. */
  public static final class QueueNameConverter implements Converter<String> {
    @Override
    public String convert(String value) {
      return name(
          value.trim(),
          63,
          "KRET_OPERATOR_QUEUE_NAME (kret.operator.queue-name) must be a LocalQueue name"
              + " (lower-case letters, digits, '-' and '.', at most 63 characters)");
    }
  }

  /** {@code kret.operator.model-claim}: a PersistentVolumeClaim name. */
  public static final class ClaimNameConverter implements Converter<String> {
    @Override
    public String convert(String value) {
      return name(
          value.trim(),
          253,
          "KRET_OPERATOR_MODEL_CLAIM (kret.operator.model-claim) must be a PersistentVolumeClaim"
              + " name (lower-case letters, digits, '-' and '.')");
    }
  }

  static String name(String value, int maxLength, String setting) {
    if (value.length() > maxLength || !DNS_SUBDOMAIN.matcher(value).matches()) {
      throw invalid(setting, "got \"" + value + "\"");
    }
    return value;
  }

  static JsonNode parse(String value, String setting) {
    try {
      JsonNode node = JSON.readTree(value);
      if (node == null || node.isMissingNode()) {
        throw invalid(setting, "got nothing");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw invalid(setting, e.getOriginalMessage());
    }
  }

  static IllegalArgumentException invalid(String setting, String detail) {
    return new IllegalArgumentException(setting + "; " + detail);
  }
}
