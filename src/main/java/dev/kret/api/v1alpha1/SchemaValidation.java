package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks a FineTuneRun spec against the OpenAPI schema of the committed CRD ({@value
 * #CRD_RESOURCE}, packaged from {@code k8s/crd/}), as the API server does: types, minimums and
 * maximums, patterns (enums and Kubernetes quantities), required fields, and unknown fields (the
 * API server's strict field validation, which kubectl asks for). One source: the schema generated
 * from the Java model, never a copy of its rules. Defaults are not applied, and the CEL rules
 * ({@code x-kubernetes-validations}: immutability, the name length) are not evaluated; the rules
 * the schema cannot say are in {@link SpecValidation}.
 *
 * <p>The schema is OpenAPI v3's structural subset of JSON Schema draft 4 (boolean {@code
 * exclusiveMinimum}); {@code x-kubernetes-*} extensions are read where they change what is valid
 * ({@code int-or-string}, {@code preserve-unknown-fields}) and otherwise ignored.
 */
public final class SchemaValidation {

  /** Where the CRD is on the class path. */
  public static final String CRD_RESOURCE = "kret/crd/finetuneruns.kret.dev-v1.yml";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private SchemaValidation() {}

  /**
   * One field the schema refuses, named as the API server names it.
   *
   * @param path the field's path from the resource's root: {@code spec}, {@code training}, {@code
   *     epochs}; an array element as {@code [0]}
   * @param message what is wrong, as the API server says it: {@code Invalid value: -1: should be
   *     greater than or equal to 1}, {@code Required value}, {@code unknown field}
   */
  public record Violation(List<String> path, String message) {

    /** The path as kubectl prints it: {@code spec.resources.tolerations[0].key}. */
    public String field() {
      return String.join(".", path).replace(".[", "[");
    }

    @Override
    public String toString() {
      return field() + ": " + message;
    }
  }

  /** What the schema says about a spec as written (a YAML or JSON tree); empty when it is valid. */
  public static List<Violation> violations(JsonNode spec) {
    if (spec == null || spec.isMissingNode()) {
      return List.of();
    }
    List<Violation> out = new ArrayList<>();
    for (Error e : Holder.SPEC.validate(spec)) {
      out.add(violation(e));
    }
    return out;
  }

  /** The same for a spec built in Java (or read by the operator): its JSON form is checked. */
  public static List<Violation> violations(FineTuneRunSpec spec) {
    return spec == null ? List.of() : violations(Holder.JSON.valueToTree(spec));
  }

  private static Violation violation(Error e) {
    List<String> path = new ArrayList<>();
    path.add("spec");
    NodePath at = e.getInstanceLocation();
    for (int i = 0; i < at.getNameCount(); i++) {
      Object element = at.getElement(i);
      path.add(element instanceof Integer index ? "[" + index + "]" : String.valueOf(element));
    }
    String keyword = e.getKeyword() == null ? "" : e.getKeyword();
    // The schema object holding the failed keyword (the library reports the keyword's value).
    JsonNode schema = schemaAt(path.subList(1, path.size()));
    JsonNode value = e.getInstanceNode();
    String message =
        switch (keyword) {
          case "additionalProperties" -> {
            path.add(e.getProperty());
            yield "unknown field";
          }
          case "required" -> {
            path.add(e.getProperty());
            yield "Required value";
          }
          case "type" -> invalid(value, "must be of type " + expectedType(schema));
          case "minimum" ->
              invalid(
                  value,
                  "should be greater than "
                      + (exclusive(schema, "exclusiveMinimum") ? "" : "or equal to ")
                      + number(schema.get("minimum")));
          case "maximum" ->
              invalid(
                  value,
                  "should be less than "
                      + (exclusive(schema, "exclusiveMaximum") ? "" : "or equal to ")
                      + number(schema.get("maximum")));
          case "pattern" ->
              invalid(value, "should match '" + schema.path("pattern").asText() + "'");
          case "enum" ->
              "Unsupported value: " + show(value) + ": supported values: " + enumOf(schema);
          case "minLength" ->
              invalid(
                  value, "should be at least " + schema.path("minLength").asInt() + " chars long");
          case "maxLength" ->
              invalid(
                  value, "may not be longer than " + schema.path("maxLength").asInt() + " chars");
          default -> invalid(value, stripLocation(e.getMessage()));
        };
    return new Violation(List.copyOf(path), message);
  }

  /** The schema of the value at path (below spec): through properties, items and maps. */
  private static JsonNode schemaAt(List<String> path) {
    JsonNode at = Holder.SCHEMA;
    for (String segment : path) {
      if (segment.startsWith("[")) {
        at = at.path("items");
      } else if (at.path("properties").has(segment)) {
        at = at.path("properties").path(segment);
      } else {
        at = at.path("additionalProperties");
      }
    }
    return at;
  }

  private static String invalid(JsonNode value, String why) {
    return "Invalid value: " + show(value) + ": " + why;
  }

  private static String show(JsonNode value) {
    if (value == null) {
      return "null";
    }
    if (value.isContainerNode()) {
      return value.isArray() ? "array" : "object";
    }
    return value.toString(); // strings quoted, numbers and booleans bare: as the API server
  }

  private static String expectedType(JsonNode schema) {
    JsonNode t = schema.get("type");
    if (t == null) {
      return "integer or string";
    }
    return t.isArray() ? t.toString() : t.asText();
  }

  private static boolean exclusive(JsonNode schema, String keyword) {
    return schema.path(keyword).asBoolean(false);
  }

  private static String number(JsonNode n) {
    if (n == null) {
      return "?";
    }
    return n.isIntegralNumber() || n.asDouble() == Math.rint(n.asDouble())
        ? String.valueOf(n.asLong())
        : n.asText();
  }

  private static String enumOf(JsonNode schema) {
    List<String> values = new ArrayList<>();
    schema.path("enum").forEach(v -> values.add(v.toString()));
    return String.join(", ", values);
  }

  /** The library's message begins with its own location ({@code /training/epochs: …}). */
  private static String stripLocation(String message) {
    if (message == null) {
      return "invalid";
    }
    int colon = message.indexOf(": ");
    return colon > 0 && !message.substring(0, colon).contains(" ")
        ? message.substring(colon + 2)
        : message;
  }

  /**
   * The {@code spec} schema of the CRD's served version as a draft-4 JSON Schema: objects with
   * declared properties refuse others (the API server's strict field validation), unless they say
   * {@code x-kubernetes-preserve-unknown-fields}; {@code x-kubernetes-int-or-string} allows both;
   * {@code nullable} allows null; other extensions are dropped.
   */
  static JsonNode specSchema(JsonNode crd) {
    String served = HasMetadata.getVersion(FineTuneRun.class);
    for (JsonNode version : crd.path("spec").path("versions")) {
      if (served.equals(version.path("name").asText())) {
        JsonNode spec =
            version.path("schema").path("openAPIV3Schema").path("properties").path("spec");
        if (spec.isObject()) {
          return structural(spec);
        }
      }
    }
    throw new IllegalStateException(CRD_RESOURCE + " has no schema for spec in version " + served);
  }

  private static JsonNode structural(JsonNode node) {
    if (!node.isObject()) {
      return node;
    }
    ObjectNode out = NODES.objectNode();
    boolean preserve = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    boolean intOrString = node.path("x-kubernetes-int-or-string").asBoolean(false);
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String key = f.getKey();
      JsonNode value = f.getValue();
      if (key.startsWith("x-kubernetes-") || key.equals("nullable")) {
        continue;
      }
      switch (key) {
        case "properties" -> {
          ObjectNode props = NODES.objectNode();
          value.fields().forEachRemaining(p -> props.set(p.getKey(), structural(p.getValue())));
          out.set(key, props);
        }
        case "items", "additionalProperties", "not" -> out.set(key, structural(value));
        case "allOf", "anyOf", "oneOf" -> {
          ArrayNode all = NODES.arrayNode();
          value.forEach(v -> all.add(structural(v)));
          out.set(key, all);
        }
        default -> out.set(key, value.deepCopy());
      }
    }
    if (intOrString) {
      out.remove("type");
      ArrayNode either = NODES.arrayNode();
      either.add(NODES.objectNode().put("type", "integer"));
      either.add(NODES.objectNode().put("type", "string"));
      out.set("anyOf", either);
    }
    if (node.path("nullable").asBoolean(false) && out.has("type")) {
      out.set("type", NODES.arrayNode().add(out.get("type").asText()).add("null"));
    }
    if (out.has("properties") && !out.has("additionalProperties") && !preserve) {
      out.put("additionalProperties", false);
    }
    return out;
  }

  /** Loaded once, on first use. */
  private static final class Holder {
    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonNode SCHEMA = load();
    static final Schema SPEC =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(SCHEMA);

    private static JsonNode load() {
      try (InputStream in =
          SchemaValidation.class.getClassLoader().getResourceAsStream(CRD_RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException(
              "missing resource " + CRD_RESOURCE + ": the build packages k8s/crd/ there");
        }
        return specSchema(YAML.readTree(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + CRD_RESOURCE, e);
      }
    }
  }
}
