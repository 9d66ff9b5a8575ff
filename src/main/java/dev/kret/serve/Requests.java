package dev.kret.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.data.CodePoints;
import dev.kret.data.Entity;
import dev.kret.data.ExampleValidator;
import dev.kret.data.ExampleValidator.OffsetNames;
import dev.kret.data.ExampleValidator.Problem;
import dev.kret.data.Labels;
import dev.kret.data.RelationExample;
import dev.kret.serve.ServeError.Kind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads and validates prediction requests into KLUE-RE examples. The checks of an example are the
 * loader's ({@link dev.kret.data.ExampleValidator}), named by the instance's place in the request
 * ({@code instances[3].subject_entity.end_idx …}, {@code subject_span[3] …}).
 */
public final class Requests {

  static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** A parsed V2 inference request: its id (may be null) and the examples. */
  public record V2Request(String id, List<RelationExample> examples) {}

  private Requests() {}

  /** Parses a body into a JSON tree, or throws a 400 naming where it broke. */
  public static JsonNode tree(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null || n.isMissingNode()) {
        throw new ServeError(Kind.INVALID_JSON, "body is empty; expected a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      String m = e.getOriginalMessage() == null ? "malformed" : e.getOriginalMessage();
      int nl = m.indexOf('\n');
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      throw new ServeError(
          Kind.INVALID_JSON,
          "body is not valid JSON" + where + ": " + (nl < 0 ? m : m.substring(0, nl)));
    } catch (IOException e) {
      throw new ServeError(Kind.INVALID_JSON, "body is not valid JSON: " + e.getMessage());
    }
  }

  /** KServe V1 with no cap on the instance count. */
  public static List<RelationExample> v1(JsonNode root, boolean lenient) {
    return v1(root, lenient, Integer.MAX_VALUE);
  }

  /** KServe V1: {@code {"instances": [KLUE-RE rows]}}, at most {@code maxInstances} of them. */
  public static List<RelationExample> v1(JsonNode root, boolean lenient, int maxInstances) {
    if (!root.isObject()) {
      throw new ServeError(Kind.WRONG_TYPE, "body must be a JSON object, found " + describe(root));
    }
    JsonNode instances = root.get("instances");
    if (instances == null || instances.isNull()) {
      throw new ServeError(Kind.MISSING_FIELD, "instances is missing");
    }
    if (!instances.isArray()) {
      throw new ServeError(
          Kind.WRONG_TYPE, "instances must be a list, found " + describe(instances));
    }
    if (instances.isEmpty()) {
      throw new ServeError(Kind.EMPTY_INSTANCES, "instances is empty");
    }
    atMost("instances", instances.size(), maxInstances);
    List<RelationExample> out = new ArrayList<>(instances.size());
    for (int i = 0; i < instances.size(); i++) {
      out.add(v1Instance(instances.get(i), "instances[" + i + "]", i, lenient));
    }
    return out;
  }

  /** Refuses more instances than the server takes in one request (413, naming the limit). */
  private static void atMost(String field, int n, int maxInstances) {
    if (n > maxInstances) {
      throw new ServeError(
          Kind.TOO_MANY_INSTANCES,
          field
              + " has "
              + n
              + " elements; at most "
              + maxInstances
              + " per request (--max-instances): split the request");
    }
  }

  private static RelationExample v1Instance(JsonNode n, String at, int i, boolean lenient) {
    if (!n.isObject()) {
      throw new ServeError(Kind.WRONG_TYPE, at + " must be an object, found " + describe(n));
    }
    String guid = optionalString(n, "guid", at);
    String sentence = sentence(string(n, "sentence", at), at + ".sentence");
    Entity s = v1Entity(n, "subject_entity", at, sentence, lenient);
    Entity o = v1Entity(n, "object_entity", at, sentence, lenient);
    refuse(ExampleValidator.overlap(at + ".subject_entity", s, at + ".object_entity", o));
    return new RelationExample(guid == null ? "instance-" + i : guid, sentence, s, o, null, null);
  }

  private static Entity v1Entity(
      JsonNode row, String field, String at, String sentence, boolean lenient) {
    String path = at + "." + field;
    JsonNode e = row.get(field);
    if (e == null || e.isNull()) {
      throw new ServeError(Kind.MISSING_FIELD, path + " is missing");
    }
    if (!e.isObject()) {
      throw new ServeError(Kind.WRONG_TYPE, path + " must be an object, found " + describe(e));
    }
    String word = string(e, "word", path);
    int start = integer(e, "start_idx", path);
    int end = integer(e, "end_idx", path);
    String type = string(e, "type", path);
    return entity(path, OffsetNames.KLUE_RE, lenient ? null : word, start, end, type, sentence);
  }

  /**
   * Open Inference Protocol: BYTES {@code sentence}, INT32 {@code subject_span}/{@code object_span}
   * [N,2] (end inclusive), BYTES {@code subject_type}/{@code object_type}; the entity word is the
   * span's text.
   */
  public static V2Request v2(JsonNode root) {
    return v2(root, Integer.MAX_VALUE);
  }

  /** Open Inference Protocol, at most {@code maxInstances} sentences. */
  public static V2Request v2(JsonNode root, int maxInstances) {
    if (!root.isObject()) {
      throw new ServeError(Kind.WRONG_TYPE, "body must be a JSON object, found " + describe(root));
    }
    String id = optionalString(root, "id", "body");
    JsonNode inputs = root.get("inputs");
    if (inputs == null || inputs.isNull()) {
      throw new ServeError(Kind.MISSING_FIELD, "inputs is missing");
    }
    if (!inputs.isArray()) {
      throw new ServeError(Kind.WRONG_TYPE, "inputs must be a list, found " + describe(inputs));
    }
    JsonNode[] byName = new JsonNode[V2_INPUTS.size()];
    for (int i = 0; i < inputs.size(); i++) {
      JsonNode t = inputs.get(i);
      String at = "inputs[" + i + "]";
      if (!t.isObject()) {
        throw new ServeError(Kind.WRONG_TYPE, at + " must be an object, found " + describe(t));
      }
      String name = string(t, "name", at);
      int k = V2_INPUTS.indexOf(name);
      if (k < 0) {
        throw new ServeError(
            Kind.INVALID_SHAPE, at + ".name \"" + name + "\" is not one of " + V2_INPUTS);
      }
      byName[k] = t;
    }
    for (int k = 0; k < byName.length; k++) {
      if (byName[k] == null) {
        throw new ServeError(Kind.MISSING_FIELD, "input " + V2_INPUTS.get(k) + " is missing");
      }
    }
    List<JsonNode> sentences = tensor(byName[0], "sentence", "BYTES", 1);
    int n = sentences.size();
    if (n == 0) {
      throw new ServeError(Kind.EMPTY_INSTANCES, "sentence has no elements");
    }
    atMost("sentence", n, maxInstances);
    List<JsonNode> subjectSpan = tensor(byName[1], "subject_span", "INT32", 2);
    List<JsonNode> objectSpan = tensor(byName[2], "object_span", "INT32", 2);
    List<JsonNode> subjectType = tensor(byName[3], "subject_type", "BYTES", 1);
    List<JsonNode> objectType = tensor(byName[4], "object_type", "BYTES", 1);
    sameLength("subject_span", subjectSpan.size(), 2 * n);
    sameLength("object_span", objectSpan.size(), 2 * n);
    sameLength("subject_type", subjectType.size(), n);
    sameLength("object_type", objectType.size(), n);
    List<RelationExample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String sentence =
          sentence(element(sentences.get(i), "sentence[" + i + "]"), "sentence[" + i + "]");
      Entity s = spanEntity("subject", i, subjectSpan, subjectType.get(i), sentence);
      Entity o = spanEntity("object", i, objectSpan, objectType.get(i), sentence);
      refuse(ExampleValidator.overlap("subject_span[" + i + "]", s, "object_span[" + i + "]", o));
      out.add(new RelationExample("instance-" + i, sentence, s, o, null, null));
    }
    return new V2Request(id, out);
  }

  static final List<String> V2_INPUTS =
      List.of("sentence", "subject_span", "object_span", "subject_type", "object_type");

  private static Entity spanEntity(
      String role, int i, List<JsonNode> spans, JsonNode typeNode, String sentence) {
    String span = role + "_span[" + i + "]";
    int start = int32(spans.get(2 * i), span + "[0]");
    int end = int32(spans.get(2 * i + 1), span + "[1]");
    String type = element(typeNode, role + "_type[" + i + "]");
    if (!Labels.ENTITY_TYPES.contains(type)) {
      throw new ServeError(
          Kind.UNKNOWN_TYPE,
          role + "_type[" + i + "] \"" + type + "\" is not one of " + Labels.ENTITY_TYPES);
    }
    return entity(span, OffsetNames.SPAN, null, start, end, type, sentence);
  }

  /** Flattened elements of a tensor, after checking its datatype and that shape matches data. */
  private static List<JsonNode> tensor(JsonNode t, String name, String datatype, int rank) {
    String dt = string(t, "datatype", "input " + name);
    if (!dt.equals(datatype)) {
      throw new ServeError(
          Kind.WRONG_TYPE, "input " + name + ".datatype must be " + datatype + ", found " + dt);
    }
    JsonNode shape = t.get("shape");
    if (shape == null || !shape.isArray()) {
      throw new ServeError(Kind.MISSING_FIELD, "input " + name + ".shape is missing");
    }
    long product = 1;
    for (JsonNode d : shape) {
      if (!d.isIntegralNumber() || d.asLong() < 0) {
        throw new ServeError(
            Kind.INVALID_SHAPE, "input " + name + ".shape must list non-negative integers");
      }
      product *= d.asLong();
    }
    if (shape.size() != rank || (rank == 2 && shape.get(1).asLong() != 2)) {
      throw new ServeError(
          Kind.INVALID_SHAPE,
          "input "
              + name
              + ".shape must be "
              + (rank == 1 ? "[N]" + "" : "[N,2]")
              + ", found "
              + shape);
    }
    JsonNode data = t.get("data");
    if (data == null || data.isNull()) {
      throw new ServeError(Kind.MISSING_FIELD, "input " + name + ".data is missing");
    }
    if (!data.isArray()) {
      throw new ServeError(
          Kind.WRONG_TYPE, "input " + name + ".data must be a list, found " + describe(data));
    }
    List<JsonNode> flat = new ArrayList<>();
    flatten(data, flat);
    if (flat.size() != product) {
      throw new ServeError(
          Kind.INVALID_SHAPE,
          "input "
              + name
              + ".data has "
              + flat.size()
              + " elements, shape "
              + shape
              + " needs "
              + product);
    }
    return flat;
  }

  private static void flatten(JsonNode n, List<JsonNode> out) {
    if (n.isArray()) {
      for (JsonNode c : n) {
        flatten(c, out);
      }
    } else {
      out.add(n);
    }
  }

  private static void sameLength(String name, int actual, int expected) {
    if (actual != expected) {
      throw new ServeError(
          Kind.INVALID_SHAPE,
          "input " + name + " has " + actual + " elements, sentence asks for " + expected);
    }
  }

  private static String element(JsonNode n, String at) {
    if (!n.isTextual()) {
      throw new ServeError(Kind.WRONG_TYPE, at + " must be a string, found " + describe(n));
    }
    return n.textValue();
  }

  private static int int32(JsonNode n, String at) {
    if (!n.isInt()) {
      throw new ServeError(Kind.WRONG_TYPE, at + " must be an INT32 integer, found " + describe(n));
    }
    return n.intValue();
  }

  // ---- the checks shared with the loader (ExampleValidator), as this endpoint's errors ----

  private static String sentence(String s, String path) {
    refuse(ExampleValidator.sentence(path, s));
    return s;
  }

  /** The entity, its word cut from the sentence; {@code word} null skips the word check. */
  private static Entity entity(
      String path,
      OffsetNames names,
      String word,
      int start,
      int end,
      String type,
      String sentence) {
    refuse(ExampleValidator.entity(path, names, word, start, end, type, sentence));
    return new Entity(CodePoints.slice(sentence, start, end), start, end, type);
  }

  private static void refuse(Optional<Problem> problem) {
    problem.ifPresent(
        p -> {
          throw new ServeError(kindOf(p.kind()), p.message());
        });
  }

  /** The {@code kret_serve_errors_total} kind of a validation problem. */
  static Kind kindOf(ExampleValidator.Kind kind) {
    return switch (kind) {
      case MISSING -> Kind.MISSING_FIELD;
      case BLANK_SENTENCE -> Kind.EMPTY_SENTENCE;
      case UNKNOWN_TYPE -> Kind.UNKNOWN_TYPE;
      case INVALID_SPAN, OVERLAP -> Kind.INVALID_SPAN;
      case WORD_MISMATCH -> Kind.WORD_MISMATCH;
    };
  }

  private static String string(JsonNode n, String field, String at) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new ServeError(Kind.MISSING_FIELD, at + "." + field + " is missing");
    }
    if (!v.isTextual()) {
      throw new ServeError(
          Kind.WRONG_TYPE, at + "." + field + " must be a string, found " + describe(v));
    }
    return v.textValue();
  }

  private static String optionalString(JsonNode n, String field, String at) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : string(n, field, at);
  }

  private static int integer(JsonNode n, String field, String at) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new ServeError(Kind.MISSING_FIELD, at + "." + field + " is missing");
    }
    if (!v.isInt()) {
      throw new ServeError(
          Kind.WRONG_TYPE, at + "." + field + " must be an integer, found " + describe(v));
    }
    return v.intValue();
  }

  static String describe(JsonNode n) {
    return switch (n.getNodeType()) {
      case ARRAY -> "a list";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> n.isIntegralNumber() ? "an integer" : "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
