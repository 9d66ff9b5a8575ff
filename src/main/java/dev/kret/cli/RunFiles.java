package dev.kret.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kret.api.v1alpha1.DatasetSpec;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.SchemaValidation;
import dev.kret.api.v1alpha1.SpecValidation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads FineTuneRun YAML strictly, as the API server would judge it: the spec as written against
 * the CRD's schema (types, ranges, patterns, unknown fields), then the rules the schema cannot say
 * ({@link SpecValidation#rules}); every error names the field and its line.
 */
public final class RunFiles {

  /** The embedded default: the bundled KLUE-RE sample and a small from-scratch model on the CPU. */
  public static final String DEFAULT_RUN = "kret/default-run.yaml";

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  private RunFiles() {}

  /** A spec file that cannot run; message names the file, the field and the line. */
  public static final class InvalidSpecException extends Exception {
    public InvalidSpecException(String message) {
      super(message);
    }
  }

  public static FineTuneRun read(Path file) throws IOException, InvalidSpecException {
    if (!Files.isRegularFile(file)) {
      throw new InvalidSpecException(file + ": no such file");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return parse(in, file.toString());
    }
  }

  public static FineTuneRun readDefault() throws IOException, InvalidSpecException {
    try (InputStream in = RunFiles.class.getClassLoader().getResourceAsStream(DEFAULT_RUN)) {
      if (in == null) {
        throw new IOException("missing resource " + DEFAULT_RUN);
      }
      return parse(in, "builtin default run");
    }
  }

  /**
   * The spec reading its data from a directory ({@code --data-dir}): {@code train.json} and {@code
   * dev.json}, else the official names {@code klue-re-v1.1_train.json} and {@code
   * klue-re-v1.1_dev.json} (what {@code kretctl data fetch} writes). {@code skipInvalid} is kept.
   */
  public static FineTuneRunSpec withDataDir(FineTuneRunSpec spec, Path dir)
      throws InvalidSpecException {
    if (!Files.isDirectory(dir)) {
      throw new InvalidSpecException("--data-dir " + dir + ": no such directory");
    }
    DatasetSpec old = spec.dataset() == null ? new DatasetSpec(null, null, null) : spec.dataset();
    return spec.withDataset(
        new DatasetSpec(
            dataFile(dir, "train.json", "klue-re-v1.1_train.json"),
            dataFile(dir, "dev.json", "klue-re-v1.1_dev.json"),
            old.skipInvalid()));
  }

  private static String dataFile(Path dir, String name, String official)
      throws InvalidSpecException {
    for (String candidate : List.of(name, official)) {
      Path p = dir.resolve(candidate);
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath().toString();
      }
    }
    throw new InvalidSpecException(
        "--data-dir " + dir + ": holds neither " + name + " nor " + official);
  }

  static FineTuneRun parse(InputStream in, String name) throws IOException, InvalidSpecException {
    String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    JsonNode tree;
    try {
      tree = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidSpecException(name + line(e.getLocation()) + ": " + e.getOriginalMessage());
    }
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      throw new InvalidSpecException(name + ": empty document");
    }
    if (!tree.isObject()) {
      throw new InvalidSpecException(name + ": expected a FineTuneRun object");
    }
    if (!"FineTuneRun".equals(tree.path("kind").asText(null))) {
      throw new InvalidSpecException(
          name + ": kind must be FineTuneRun, got " + tree.path("kind").asText(null));
    }
    JsonNode specTree = tree.get("spec");
    if (specTree == null || specTree.isNull()) {
      throw new InvalidSpecException(name + ": spec is required");
    }
    // The spec as written, against the CRD's schema: what the API server would refuse.
    List<String> errors = new ArrayList<>();
    for (SchemaValidation.Violation v : SchemaValidation.violations(specTree)) {
      int line = lineOf(text, v.path());
      errors.add((line > 0 ? "line " + line + ": " : "") + v);
    }
    FineTuneRun run;
    try {
      run = YAML.treeToValue(tree, FineTuneRun.class);
    } catch (JsonMappingException e) {
      if (!errors.isEmpty()) {
        // A wrong type the schema has named already; binding fails on it too.
        throw new InvalidSpecException(name + ": " + String.join("; ", errors));
      }
      List<String> fields =
          e.getPath().stream()
              .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
              .toList();
      String path = String.join(".", fields).replace(".[", "[");
      int line = lineOf(text, fields);
      throw new InvalidSpecException(
          name + (line > 0 ? ": line " + line : "") + ": " + path + ": " + e.getOriginalMessage());
    }
    // Then the rules the schema cannot say (fields that depend on each other, empty references).
    for (String rule : SpecValidation.rules(run.getSpec())) {
      String field = rule.substring(0, Math.max(0, rule.indexOf(':')));
      int line = field.isEmpty() ? 0 : lineOf(text, List.of(field.split("\\.")));
      errors.add((line > 0 ? "line " + line + ": " : "") + rule);
    }
    if (!errors.isEmpty()) {
      throw new InvalidSpecException(name + ": " + String.join("; ", errors));
    }
    return run;
  }

  /**
   * As {@link #read}, for {@code kretctl train --local FILE} without {@code --data-dir}: the file
   * must name its training data. The CRD defaults {@code spec.dataset.train} to the bundled sample
   * (a cluster run without data is a smoke test), but a local file that forgot it would train on
   * 3,000 sample rows and look like it worked.
   */
  public static FineTuneRun readLocal(Path file) throws IOException, InvalidSpecException {
    FineTuneRun run = read(file);
    if (!namesTrainingData(run)) {
      throw new InvalidSpecException(
          file
              + ": spec.dataset.train: Required value: a local run names its training data"
              + " (klue-re:v1.1/train, a path, an http(s) URL, or "
              + DatasetSpec.DEFAULT_TRAIN
              + " for the bundled sample), or is given --data-dir DIR");
    }
    return run;
  }

  /** Whether the spec names {@code spec.dataset.train} rather than leaving it to the default. */
  public static boolean namesTrainingData(FineTuneRun run) {
    return run.getSpec() != null
        && run.getSpec().dataset() != null
        && run.getSpec().dataset().train() != null;
  }

  /**
   * The line of the field at {@code path} in the YAML text, or 0. Jackson's own location points
   * past the field (records are buffered before they are bound), so the text is walked again.
   */
  static int lineOf(String text, List<String> path) {
    try (JsonParser p = YAML.getFactory().createParser(text)) {
      Deque<String> stack = new ArrayDeque<>();
      String pending = null;
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        switch (t) {
          case FIELD_NAME -> {
            pending = p.currentName();
            List<String> here = new ArrayList<>(stack);
            java.util.Collections.reverse(here);
            here.add(pending);
            here.removeIf(String::isEmpty);
            if (here.equals(path.stream().filter(f -> !f.startsWith("[")).toList())) {
              return p.currentTokenLocation().getLineNr();
            }
          }
          case START_OBJECT, START_ARRAY -> {
            stack.push(pending == null ? "" : pending);
            pending = null;
          }
          case END_OBJECT, END_ARRAY -> stack.pop();
          default -> pending = null;
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return 0;
  }

  private static String line(JsonLocation loc) {
    return loc == null || loc.getLineNr() < 1 ? "" : ": line " + loc.getLineNr();
  }
}
