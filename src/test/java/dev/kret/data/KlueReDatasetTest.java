package dev.kret.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.kret.Fixtures;
import dev.kret.hub.Hub;
import dev.kret.hub.HubConfig;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KlueReDatasetTest {

  @TempDir Path tmp;

  /** One valid row; placeholders let each test break exactly one thing. */
  private static String row(
      String guid, String sentence, String subject, String object, String label) {
    return "{\"guid\": \""
        + guid
        + "\", \"sentence\": \""
        + sentence
        + "\", \"subject_entity\": "
        + subject
        + ", \"object_entity\": "
        + object
        + (label == null ? "" : ", \"label\": \"" + label + "\"")
        + ", \"source\": \"wikipedia\"}";
  }

  private static String entity(String word, int start, int end, String type) {
    return "{\"word\": \""
        + word
        + "\", \"start_idx\": "
        + start
        + ", \"end_idx\": "
        + end
        + ", \"type\": \""
        + type
        + "\"}";
  }

  // "비틀즈" at 0..2, "조지 해리슨" at 5..10, 16 code points
  private static final String SENTENCE = "비틀즈와 조지 해리슨의 노래.";
  private static final String SUBJECT = entity("비틀즈", 0, 2, "ORG");
  private static final String OBJECT = entity("조지 해리슨", 5, 10, "PER");

  private static String good(String guid) {
    return row(guid, SENTENCE, SUBJECT, OBJECT, "org:members");
  }

  private static KlueReDataset read(String json, LoadOptions opts) {
    return KlueReDataset.read(
        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test.json", opts);
  }

  private static KlueReDataset read(String json) {
    return read(json, LoadOptions.defaults());
  }

  @Test
  void readsOfficialJson() throws Exception {
    Path file = resource("/kret/data/official-3rows.json");

    KlueReDataset ds = KlueReDataset.load(file.toString(), LoadOptions.defaults());

    assertThat(ds.size()).isEqualTo(3);
    RelationExample first = ds.get(0);
    assertThat(first.guid()).isEqualTo("klue-re-v1_train_00000");
    assertThat(first.subject()).isEqualTo(new Entity("비틀즈", 24, 26, "ORG"));
    assertThat(first.object()).isEqualTo(new Entity("조지 해리슨", 13, 18, "PER"));
    assertThat(first.label()).isEqualTo("no_relation");
    assertThat(first.source()).isEqualTo("wikipedia");
    assertThat(ds.labelIds())
        .containsExactly(Labels.NO_RELATION, Labels.NO_RELATION, Labels.indexOf("org:member_of"));
    assertThat(ds.sha256()).isEqualTo(sha256(Files.readAllBytes(file)));
    assertThat(ds.source()).isEqualTo(file.toString());
    assertThat(ds.skipped()).isZero();
  }

  @Test
  void readsFileUri() throws Exception {
    Path file = resource("/kret/data/official-3rows.json");

    assertThat(KlueReDataset.load(file.toUri().toString(), LoadOptions.defaults()).size())
        .isEqualTo(3);
  }

  @Test
  void loadsBuiltinSample() {
    KlueReDataset train = KlueReDataset.load("builtin:klue-re-sample", LoadOptions.defaults());
    KlueReDataset validation =
        KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults());

    assertThat(train.source()).isEqualTo("builtin:klue-re-sample/train");
    assertThat(train.size()).isEqualTo(3000);
    assertThat(validation.size()).isEqualTo(600);
    assertThat(train.skipped()).isZero();
    assertThat(validation.skipped()).isZero();
    assertThat(train.report().perLabel().values()).allMatch(n -> n > 0).hasSize(30);
    assertThat(validation.report().perLabel().values()).allMatch(n -> n > 0).hasSize(30);
    assertThat(train.sha256()).hasSize(64);
  }

  @Test
  void rejectsUnknownBuiltinNamingTheChoices() {
    assertThatThrownBy(() -> KlueReDataset.load("builtin:klue-re-sample/test", null))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("builtin:klue-re-sample/{train,validation}");
  }

  @Test
  void rejectsSpanOutsideSentence() {
    String json =
        "[" + row("g0", SENTENCE, SUBJECT, entity("노래.", 13, 16, "POH"), "no_relation") + "]";

    assertThatThrownBy(() -> read(json))
        .isInstanceOf(DatasetException.class)
        .hasMessage(
            "test.json: row 0 (guid g0): object_entity.end_idx 16 is outside the sentence"
                + " (16 code points, last index 15)");
  }

  @Test
  void rejectsNegativeStart() {
    String json =
        "[" + row("g0", SENTENCE, entity("비틀즈", -1, 2, "ORG"), OBJECT, "no_relation") + "]";

    assertThatThrownBy(() -> read(json)).hasMessageContaining("subject_entity.start_idx -1");
  }

  @Test
  void rejectsWordMismatchNamingGuidAndField() {
    String json =
        "["
            + good("g0")
            + ", "
            + row(
                "klue-re-v1_train_00017",
                SENTENCE,
                entity("비틀스", 0, 2, "ORG"),
                OBJECT,
                "no_relation")
            + "]";

    assertThatThrownBy(() -> read(json))
        .isInstanceOf(DatasetException.class)
        .hasMessage(
            "test.json: row 1 (guid klue-re-v1_train_00017): subject_entity.word \"비틀스\""
                + " does not match sentence[0..2] \"비틀즈\"");
  }

  @Test
  void rejectsUnknownLabel() {
    String json = "[" + row("g0", SENTENCE, SUBJECT, OBJECT, "org:sponsor") + "]";

    assertThatThrownBy(() -> read(json))
        .hasMessage("test.json: row 0 (guid g0): label \"org:sponsor\" is not a KLUE-RE relation");
  }

  @Test
  void rejectsUnknownEntityType() {
    String json =
        "[" + row("g0", SENTENCE, SUBJECT, entity("조지 해리슨", 5, 10, "PERSON"), "no_relation") + "]";

    assertThatThrownBy(() -> read(json))
        .hasMessageStartingWith(
            "test.json: row 0 (guid g0): object_entity.type \"PERSON\" is not one of [PER,");
  }

  @Test
  void rejectsMissingField() {
    String json =
        "[{\"guid\": \"g0\", \"sentence\": \""
            + SENTENCE
            + "\", \"subject_entity\": {\"word\": \"비틀즈\", \"end_idx\": 2, \"type\": \"ORG\"},"
            + " \"object_entity\": "
            + OBJECT
            + ", \"label\": \"no_relation\"}]";

    assertThatThrownBy(() -> read(json))
        .hasMessage("test.json: row 0 (guid g0): subject_entity.start_idx is missing");
  }

  @Test
  void rejectsMissingLabelOnlyWhenLabelsRequired() {
    String json = "[" + row("g0", SENTENCE, SUBJECT, OBJECT, null) + "]";

    assertThatThrownBy(() -> read(json)).hasMessageEndingWith("label is missing");
    KlueReDataset unlabelled = read(json, LoadOptions.defaults().withRequireLabels(false));
    assertThat(unlabelled.labelId(0)).isEqualTo(-1);
    assertThat(unlabelled.get(0).label()).isNull();
  }

  @Test
  void rejectsWrongFieldType() {
    String json =
        "["
            + row(
                "g0",
                SENTENCE,
                "{\"word\": \"비틀즈\", \"start_idx\": \"0\", \"end_idx\": 2, \"type\": \"ORG\"}",
                OBJECT,
                "no_relation")
            + "]";

    assertThatThrownBy(() -> read(json))
        .hasMessage(
            "test.json: row 0 (guid g0): subject_entity.start_idx must be an integer, found a string");
  }

  @Test
  void rejectsOverlappingSpans() {
    String json =
        "[" + row("g0", SENTENCE, SUBJECT, entity("즈와", 2, 3, "ORG"), "no_relation") + "]";

    assertThatThrownBy(() -> read(json))
        .hasMessageEndingWith("subject_entity [0..2] and object_entity [2..3] overlap");
  }

  @Test
  void rejectsBlankSentence() {
    String json =
        "[{\"guid\": \"g0\", \"sentence\": \"  \", \"subject_entity\": "
            + SUBJECT
            + ", \"object_entity\": "
            + OBJECT
            + "}]";

    assertThatThrownBy(() -> read(json))
        .hasMessage("test.json: row 0 (guid g0): sentence is blank");
  }

  @Test
  void rejectsMalformedJsonWithLineAndColumn() {
    String json = "[\n" + good("g0") + ",\n  {\"guid\": \"g1\" \"sentence\": \"x\"}\n]";

    assertThatThrownBy(() -> read(json))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith("test.json: malformed JSON at line 3, column 17:");
  }

  @Test
  void rejectsTruncatedList() {
    assertThatThrownBy(() -> read("[" + good("g0") + ","))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("test.json");
  }

  @Test
  void skipsInvalidRowsWhenAsked() {
    String json =
        "["
            + good("g0")
            + ", "
            + row("g1", SENTENCE, SUBJECT, OBJECT, "org:sponsor")
            + ", "
            + good("g2")
            + ", "
            + row("g3", SENTENCE, entity("비틀즈", 0, 99, "ORG"), OBJECT, "no_relation")
            + ", 42, "
            + good("g5")
            + "]";

    KlueReDataset ds = read(json, LoadOptions.defaults().withSkipInvalid(true).withMaxMessages(2));

    assertThat(ds.examples()).extracting(RelationExample::guid).containsExactly("g0", "g2", "g5");
    assertThat(ds.skipped()).isEqualTo(3);
    assertThat(ds.problems())
        .containsExactly(
            "test.json: row 1 (guid g1): label \"org:sponsor\" is not a KLUE-RE relation",
            "test.json: row 3 (guid g3): subject_entity.end_idx 99 is outside the sentence"
                + " (16 code points, last index 15)");
    assertThat(ds.report().skipped()).isEqualTo(3);
  }

  @Test
  void countsCodePointsNotUtf16Units() {
    // The emoji is one code point but two UTF-16 units: offsets after it are Python's.
    String sentence = "😀 비틀즈와 조지 해리슨";
    String json =
        "["
            + row(
                "g0",
                sentence,
                entity("비틀즈", 2, 4, "ORG"),
                entity("조지 해리슨", 7, 12, "PER"),
                "org:members")
            + "]";

    KlueReDataset ds = read(json);

    assertThat(ds.get(0).subject().start()).isEqualTo(2);
    assertThatThrownBy(
            () ->
                read(
                    "["
                        + row(
                            "g1",
                            sentence,
                            entity("비틀즈", 3, 5, "ORG"),
                            entity("조지 해리슨", 7, 12, "PER"),
                            "org:members")
                        + "]"))
        .hasMessageContaining("subject_entity.word \"비틀즈\" does not match sentence[3..5] \"틀즈와\"");
  }

  @Test
  void readsJsonLines() {
    KlueReDataset ds = read(good("g0") + "\n" + good("g1") + "\n");

    assertThat(ds.size()).isEqualTo(2);
  }

  @Test
  void reportsCountsPerLabelAndSource() {
    String json =
        "["
            + good("g0")
            + ", "
            + good("g1")
            + ", "
            + row("g2", SENTENCE, SUBJECT, OBJECT, "no_relation")
            + "]";

    DatasetReport report = read(json).report();

    assertThat(report.rows()).isEqualTo(3);
    assertThat(report.perLabel()).containsEntry("org:members", 2).containsEntry("no_relation", 1);
    assertThat(report.perLabel().keySet()).startsWith("no_relation", "org:dissolved");
    assertThat(report.perSource()).containsExactlyEntriesOf(java.util.Map.of("wikipedia", 3));
    assertThat(report.valid()).isTrue();
  }

  @Test
  void exposesImmutableExamples() {
    KlueReDataset ds = read("[" + good("g0") + "]");

    assertThatThrownBy(() -> ds.examples().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    ds.labelIds()[0] = 7;
    assertThat(ds.labelId(0)).isEqualTo(Labels.indexOf("org:members"));
  }

  @Test
  void loadsOverHttpThroughTheHub() throws Exception {
    byte[] body = ("[" + good("g0") + "]").getBytes(StandardCharsets.UTF_8);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/data/train.json",
        ex -> {
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/data/train.json";
      Hub hub = new Hub(HubConfig.defaults().withCacheDir(tmp).withRetries(1, Duration.ZERO));

      KlueReDataset ds = KlueReDataset.load(url, LoadOptions.defaults(), hub);

      assertThat(ds.size()).isEqualTo(1);
      assertThat(ds.source()).isEqualTo(url);
      assertThat(ds.sha256()).isEqualTo(sha256(body));
    } finally {
      server.stop(0);
    }
  }

  /**
   * One 503 from a dataset host used to fail a cluster run for good (a DatasetException is exit 3,
   * which the Job's podFailurePolicy does not retry); a transient failure stays a retryable
   * HubException (exit 1), while a 404 is still bad data.
   */
  @Test
  void transientDownloadFailureIsRetryableNotInvalidData() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/data/",
        ex -> {
          ex.sendResponseHeaders(
              ex.getRequestURI().getPath().endsWith("busy.json") ? 503 : 404, -1);
          ex.close();
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/data/";
      Hub hub = new Hub(HubConfig.defaults().withCacheDir(tmp).withRetries(2, Duration.ZERO));

      assertThatThrownBy(() -> KlueReDataset.load(base + "busy.json", LoadOptions.defaults(), hub))
          .isInstanceOf(dev.kret.hub.HubException.class)
          .isNotInstanceOf(DatasetException.class)
          .satisfies(e -> assertThat(((dev.kret.hub.HubException) e).retryable()).isTrue())
          .hasMessageContaining("HTTP 503");
      assertThatThrownBy(() -> KlueReDataset.load(base + "gone.json", LoadOptions.defaults(), hub))
          .isInstanceOf(DatasetException.class)
          .hasMessageContaining("404");
    } finally {
      server.stop(0);
    }
  }

  /** A presigned URL's signature must not reach errors, the rows' sources or kret.json. */
  @Test
  void namesHttpSourcesWithoutQueryOrUserinfo() throws Exception {
    byte[] body = ("[" + good("g0") + "]").getBytes(StandardCharsets.UTF_8);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/data/",
        ex -> {
          boolean ok = ex.getRequestURI().getPath().endsWith("train.json");
          ex.sendResponseHeaders(ok ? 200 : 404, ok ? body.length : -1);
          if (ok) {
            ex.getResponseBody().write(body);
          }
          ex.close();
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/data/";
      Hub hub = new Hub(HubConfig.defaults().withCacheDir(tmp).withRetries(1, Duration.ZERO));

      KlueReDataset ds =
          KlueReDataset.load(base + "train.json?X-Sig=SECRET", LoadOptions.defaults(), hub);
      assertThat(ds.source()).isEqualTo(base + "train.json");
      assertThatThrownBy(
              () ->
                  KlueReDataset.load(base + "gone.json?X-Sig=SECRET", LoadOptions.defaults(), hub))
          .isInstanceOf(DatasetException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("SECRET"));
      assertThat(Hub.redact("https://user:pw@host.example/a/b.json?sig=1#f"))
          .isEqualTo("https://host.example/a/b.json");
      assertThat(Hub.redact("builtin:klue-re-sample")).isEqualTo("builtin:klue-re-sample");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void rejectsMissingFileNamingIt() {
    String missing = tmp.resolve("nope.json").toString();

    assertThatThrownBy(() -> KlueReDataset.load(missing, LoadOptions.defaults()))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(missing);
  }

  /**
   * Real KLUE-RE rows, unmodified: the first 300 of the v1.1 training set (the counts are those
   * bench/data/make_klue_re_test_slice.py printed when it cut the slice).
   */
  @Test
  void readsARealKlueReTrainSlice() {
    KlueReDataset ds =
        KlueReDataset.load(Fixtures.KLUE_RE_TRAIN_SLICE.toString(), LoadOptions.defaults());

    assertThat(ds.size()).isEqualTo(300);
    assertThat(ds.skipped()).isZero();
    assertThat(ds.examples().get(0).guid()).isEqualTo("klue-re-v1_train_00000");
    assertThat(ds.examples().get(299).guid()).isEqualTo("klue-re-v1_train_00299");
    DatasetReport report = ds.report();
    assertThat(report.perLabel().get("no_relation")).isEqualTo(83);
    assertThat(report.perLabel().get("org:top_members/employees")).isEqualTo(41);
    assertThat(report.perLabel().values().stream().filter(n -> n > 0)).hasSize(28);
    assertThat(report.perSource())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("wikipedia", 212, "wikitree", 86, "policy_briefing", 2));
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(KlueReDatasetTest.class.getResource(name).toURI());
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
