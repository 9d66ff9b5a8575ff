package dev.kret.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.kret.hub.Hub;
import dev.kret.hub.HubException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable, validated KLUE-RE split: the examples, their label ids in {@link Labels} order, and
 * the SHA-256 of the bytes read (recorded with the trained model).
 *
 * <p>Sources: a path, {@code file://…}, {@code http(s)://…} (downloaded through {@link Hub}), the
 * official files {@code klue-re:v1.1/train} and {@code klue-re:v1.1/dev} (downloaded once into the
 * cache and checked against their git blob ids: {@link Hub#fetchKlueRe}), or the bundled sample
 * {@code builtin:klue-re-sample} (= {@code …/train}) and {@code builtin:klue-re-sample/validation}.
 * The official format is a JSON list of objects; JSON Lines (one object per line) is read too. The
 * file is parsed as a stream, one row at a time.
 */
public final class KlueReDataset {

  public static final String BUILTIN_SAMPLE = "builtin:klue-re-sample";
  public static final List<String> BUILTIN_SPLITS = List.of("train", "validation");

  private static final String BUILTIN_ROOT = "/kret/data/klue-re-sample/";
  private static final String NONE = "<none>";
  private static final JsonFactory JSON =
      JsonFactory.builder().disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build();

  private final String source;
  private final String sha256;
  private final List<RelationExample> examples;
  private final int[] labelIds;
  private final int skipped;
  private final List<String> problems;

  private KlueReDataset(
      String source,
      String sha256,
      List<RelationExample> examples,
      int[] labelIds,
      int skipped,
      List<String> problems) {
    this.source = source;
    this.sha256 = sha256;
    this.examples = Collections.unmodifiableList(examples);
    this.labelIds = labelIds;
    this.skipped = skipped;
    this.problems = List.copyOf(problems);
  }

  /** Loads and validates a split; http(s) URIs go through a hub configured by the environment. */
  public static KlueReDataset load(String uri, LoadOptions opts) {
    return load(uri, opts, null);
  }

  /**
   * Loads and validates a split.
   *
   * @param hub fetches http(s) URIs and {@code klue-re:} aliases; null means {@link
   *     Hub#fromEnvironment()}
   * @throws DatasetException on an unreadable source, malformed JSON, or (unless {@code
   *     opts.skipInvalid}) the first invalid row
   */
  public static KlueReDataset load(String uri, LoadOptions opts, Hub hub) {
    if (uri == null || uri.isBlank()) {
      throw new DatasetException("empty dataset URI");
    }
    String ref = uri.strip();
    LoadOptions options = opts == null ? LoadOptions.DEFAULT : opts;
    if (ref.startsWith("builtin:")) {
      String split = builtinSplit(ref);
      String name = BUILTIN_SAMPLE + "/" + split;
      InputStream in = KlueReDataset.class.getResourceAsStream(BUILTIN_ROOT + split + ".json");
      if (in == null) {
        throw new DatasetException(name + ": not bundled in this build");
      }
      return read(in, name, options);
    }
    // Errors, rows' sources and kret.json name the URL without userinfo or query string.
    String shown = Hub.redact(ref);
    Path path;
    try {
      path = (hub != null ? hub : Hub.fromEnvironment()).resolveFile(ref);
    } catch (HubException e) {
      if (e.retryable()) {
        // A 503 or a dropped connection is not bad data: exit 1, so the Job tries again, not 3.
        throw e;
      }
      throw new DatasetException(shown + ": " + e.getMessage(), e);
    }
    try {
      return read(Files.newInputStream(path), shown, options);
    } catch (NoSuchFileException e) {
      throw new DatasetException(shown + ": file not found", e);
    } catch (IOException e) {
      throw new DatasetException(shown + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Reads every row, counting problems instead of failing (malformed JSON still fails). */
  public static DatasetReport validate(String uri, LoadOptions opts) {
    LoadOptions options = opts == null ? LoadOptions.DEFAULT : opts;
    return load(uri, options.withSkipInvalid(true)).report();
  }

  /**
   * Reads a split from a stream (closed afterwards).
   *
   * @param name names the source in messages, e.g. the file name
   */
  public static KlueReDataset read(InputStream in, String name, LoadOptions opts) {
    LoadOptions options = opts == null ? LoadOptions.DEFAULT : opts;
    MessageDigest digest = sha256Digest();
    List<RelationExample> examples = new ArrayList<>();
    int[] ids = new int[1024];
    int skipped = 0;
    List<String> problems = new ArrayList<>();
    try (DigestInputStream din = new DigestInputStream(in, digest);
        JsonParser p = JSON.createParser(din)) {
      JsonToken first = p.nextToken();
      boolean list = first == JsonToken.START_ARRAY;
      if (!list && first != JsonToken.START_OBJECT) {
        throw new DatasetException(
            name + ": expected a JSON list of KLUE-RE examples, found " + describe(first));
      }
      JsonToken t = list ? p.nextToken() : first;
      int row = 0;
      while (t != null && t != JsonToken.END_ARRAY) {
        RawRow raw = readRow(p, t);
        String problem = raw.problem != null ? raw.problem : validate(raw, options);
        if (problem == null) {
          if (examples.size() == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
          }
          ids[examples.size()] = raw.label == null ? -1 : Labels.indexOf(raw.label);
          examples.add(raw.toExample());
        } else {
          String message = name + ": row " + row + guidPart(raw.guid) + ": " + problem;
          if (!options.skipInvalid()) {
            throw new DatasetException(message);
          }
          skipped++;
          if (problems.size() < options.maxMessages()) {
            problems.add(message);
          }
        }
        row++;
        t = p.nextToken();
      }
      if (list && t == null) {
        throw new DatasetException(name + ": unexpected end of input inside the list");
      }
      if (list && p.nextToken() != null) {
        throw new DatasetException(
            name + ": unexpected content after the list at " + where(p.currentLocation()));
      }
      din.transferTo(OutputStream.nullOutputStream()); // the digest covers the whole file
    } catch (JsonProcessingException e) {
      throw new DatasetException(
          name + ": malformed JSON at " + where(e.getLocation()) + ": " + firstLine(e), e);
    } catch (IOException e) {
      throw new DatasetException(name + ": cannot read: " + e.getMessage(), e);
    }
    return new KlueReDataset(
        name,
        HexFormat.of().formatHex(digest.digest()),
        examples,
        Arrays.copyOf(ids, examples.size()),
        skipped,
        problems);
  }

  /** The URI as given, or the normalized {@code builtin:} name. */
  public String source() {
    return source;
  }

  /** Lower-case hex SHA-256 of the bytes read. */
  public String sha256() {
    return sha256;
  }

  public List<RelationExample> examples() {
    return examples;
  }

  public int size() {
    return examples.size();
  }

  public RelationExample get(int index) {
    return examples.get(index);
  }

  /** Label id of a row in {@link Labels#RELATIONS} order, -1 when unlabelled. */
  public int labelId(int index) {
    if (index < 0 || index >= examples.size()) {
      throw new IndexOutOfBoundsException(index);
    }
    return labelIds[index];
  }

  /** Label ids of all rows (a copy). */
  public int[] labelIds() {
    return labelIds.clone();
  }

  /** Invalid rows skipped ({@link LoadOptions#skipInvalid()}). */
  public int skipped() {
    return skipped;
  }

  /** The first problem messages of skipped rows, for a warning. */
  public List<String> problems() {
    return problems;
  }

  /** Counts per label and source. */
  public DatasetReport report() {
    Map<String, Integer> perLabel = new LinkedHashMap<>();
    Labels.RELATIONS.forEach(l -> perLabel.put(l, 0));
    Map<String, Integer> perSource = new TreeMap<>();
    for (int i = 0; i < examples.size(); i++) {
      perLabel.merge(labelIds[i] < 0 ? NONE : Labels.RELATIONS.get(labelIds[i]), 1, Integer::sum);
      String src = examples.get(i).source();
      perSource.merge(src == null ? NONE : src, 1, Integer::sum);
    }
    return new DatasetReport(
        source, sha256, examples.size(), skipped, perLabel, perSource, problems);
  }

  @Override
  public String toString() {
    return "KlueReDataset[" + source + ", " + examples.size() + " rows, " + skipped + " skipped]";
  }

  private static String builtinSplit(String ref) {
    String rest = ref.substring("builtin:".length());
    String split;
    if (rest.equals("klue-re-sample")) {
      split = "train";
    } else if (rest.startsWith("klue-re-sample/")) {
      split = rest.substring("klue-re-sample/".length());
    } else {
      split = null;
    }
    if (split == null || !BUILTIN_SPLITS.contains(split)) {
      throw new DatasetException(
          ref
              + ": unknown built-in dataset; use "
              + BUILTIN_SAMPLE
              + " or "
              + BUILTIN_SAMPLE
              + "/{"
              + String.join(",", BUILTIN_SPLITS)
              + "}");
    }
    return split;
  }

  // ---- row parsing: one object at a time, type errors recorded so skipping can go on ----

  private static RawRow readRow(JsonParser p, JsonToken t) throws IOException {
    RawRow row = new RawRow();
    if (t != JsonToken.START_OBJECT) {
      row.problem = "row must be an object, found " + describe(t);
      p.skipChildren();
      return row;
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      switch (field) {
        case "guid" -> row.guid = string(p, v, "guid", row);
        case "sentence" -> row.sentence = string(p, v, "sentence", row);
        case "label" -> row.label = string(p, v, "label", row);
        case "source" -> row.source = string(p, v, "source", row);
        case "subject_entity" -> row.subject = entity(p, v, "subject_entity", row);
        case "object_entity" -> row.object = entity(p, v, "object_entity", row);
        default -> p.skipChildren();
      }
    }
    return row;
  }

  private static RawEntity entity(JsonParser p, JsonToken v, String path, RawRow row)
      throws IOException {
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    if (v != JsonToken.START_OBJECT) {
      row.fail(path + " must be an object, found " + describe(v));
      p.skipChildren();
      return null;
    }
    RawEntity e = new RawEntity();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "word" -> e.word = string(p, t, path + ".word", row);
        case "type" -> e.type = string(p, t, path + ".type", row);
        case "start_idx" -> e.start = integer(p, t, path + ".start_idx", row);
        case "end_idx" -> e.end = integer(p, t, path + ".end_idx", row);
        default -> p.skipChildren();
      }
    }
    return e;
  }

  private static String string(JsonParser p, JsonToken v, String path, RawRow row)
      throws IOException {
    if (v == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (v != JsonToken.VALUE_NULL) {
      row.fail(path + " must be a string, found " + describe(v));
      p.skipChildren();
    }
    return null;
  }

  private static Integer integer(JsonParser p, JsonToken v, String path, RawRow row)
      throws IOException {
    if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
      return p.getIntValue();
    }
    if (v != JsonToken.VALUE_NULL) {
      row.fail(path + " must be an integer, found " + describe(v));
      p.skipChildren();
    }
    return null;
  }

  // ---- validation ----

  private static String validate(RawRow r, LoadOptions opts) {
    if (r.guid == null || r.guid.isBlank()) {
      return "guid is missing";
    }
    if (r.sentence == null) {
      return "sentence is missing";
    }
    String problem =
        ExampleValidator.sentence("sentence", r.sentence)
            .or(() -> validateEntity(r.subject, "subject_entity", r.sentence))
            .or(() -> validateEntity(r.object, "object_entity", r.sentence))
            .or(
                () ->
                    ExampleValidator.overlap(
                        "subject_entity",
                        r.subject.toEntity(),
                        "object_entity",
                        r.object.toEntity()))
            .map(ExampleValidator.Problem::message)
            .orElse(null);
    if (problem != null) {
      return problem;
    }
    if (r.label == null) {
      return opts.requireLabels() ? "label is missing" : null;
    }
    if (Labels.indexOf(r.label) < 0) {
      return "label \"" + r.label + "\" is not a KLUE-RE relation";
    }
    return null;
  }

  /** A missing field of the raw entity, else the checks the endpoint shares. */
  private static Optional<ExampleValidator.Problem> validateEntity(
      RawEntity e, String path, String sentence) {
    if (e == null) {
      return ExampleValidator.missing(path);
    }
    if (e.word == null) {
      return ExampleValidator.missing(path + ".word");
    }
    if (e.start == null) {
      return ExampleValidator.missing(path + ".start_idx");
    }
    if (e.end == null) {
      return ExampleValidator.missing(path + ".end_idx");
    }
    if (e.type == null) {
      return ExampleValidator.missing(path + ".type");
    }
    return ExampleValidator.entity(
        path, ExampleValidator.OffsetNames.KLUE_RE, e.word, e.start, e.end, e.type, sentence);
  }

  // ---- helpers ----

  private static String guidPart(String guid) {
    return guid == null || guid.isBlank() ? "" : " (guid " + guid + ")";
  }

  private static String where(JsonLocation loc) {
    return loc == null
        ? "unknown position"
        : "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }

  private static String firstLine(JsonProcessingException e) {
    String m =
        e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static String describe(JsonToken t) {
    if (t == null) {
      return "end of input";
    }
    return switch (t) {
      case START_ARRAY -> "a list";
      case START_OBJECT -> "an object";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT -> "an integer";
      case VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.name().toLowerCase(Locale.ROOT);
    };
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static final class RawEntity {
    String word;
    String type;
    Integer start;
    Integer end;

    Entity toEntity() {
      return new Entity(word, start, end, type);
    }
  }

  private static final class RawRow {
    String guid;
    String sentence;
    String label;
    String source;
    RawEntity subject;
    RawEntity object;
    String problem;

    void fail(String message) {
      if (problem == null) {
        problem = message;
      }
    }

    RelationExample toExample() {
      return new RelationExample(
          guid, sentence, subject.toEntity(), object.toEntity(), label, source);
    }
  }
}
