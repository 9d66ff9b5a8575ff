package dev.kret.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kret.api.v1alpha1.DatasetSpec;
import dev.kret.data.DatasetException;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official KLUE-RE files by name: downloaded from the base URL into the cache and checked
 * against their git blob ids, against a local HTTP server (never GitHub).
 */
class KlueReFileTest {

  /** A small file in KLUE-RE's format, standing in for an official one. */
  static final String SMALL =
      """
      [{"guid": "klue-re-v1_dev_00000", "sentence": "〈Something〉는 조지 해리슨이 쓰고 비틀즈가 1969년 앨범 《Abbey Road》에 담은 노래다.", \
      "subject_entity": {"word": "비틀즈", "start_idx": 24, "end_idx": 26, "type": "ORG"}, \
      "object_entity": {"word": "조지 해리슨", "start_idx": 13, "end_idx": 18, "type": "PER"}, \
      "label": "no_relation", "source": "wikipedia"}]
      """;

  @TempDir Path cache;

  private HubTest.FakeServer server;

  @BeforeEach
  void start() throws IOException {
    server = new HubTest.FakeServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Hub hub() {
    return new Hub(
        HubConfig.defaults()
            .withCacheDir(cache)
            .withKlueReBaseUrl(server.url("/mirror/klue-re-v1.1"))
            .withRetries(2, Duration.ofMillis(1)));
  }

  private static String blobId(String text) {
    return GitBlob.id(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void blobIdIsWhatGitHashObjectPrints(@TempDir Path dir) throws IOException {
    // git hash-object /dev/null; printf 'hello\n' | git hash-object --stdin
    assertThat(GitBlob.id(new byte[0])).isEqualTo("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    assertThat(GitBlob.id("hello\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("ce013625030ba8dba906f756967f9e9ca394464a");
    Path file = Files.writeString(dir.resolve("small.json"), SMALL);
    assertThat(GitBlob.id(file)).isEqualTo(blobId(SMALL));
  }

  @Test
  void downloadsFromTheBaseUrlIntoTheCacheCheckedAgainstTheBlobId() throws IOException {
    server.put("/mirror/klue-re-v1.1/klue-re-v1.1_dev.json", SMALL);
    Hub hub = hub();

    Path dev = hub.fetchKlueRe(KlueReFile.DEV, blobId(SMALL));

    assertThat(dev).isEqualTo(cache.resolve("datasets/klue-re-v1.1/klue-re-v1.1_dev.json"));
    assertThat(dev).hasContent(SMALL);
    assertThat(server.paths()).containsExactly("/mirror/klue-re-v1.1/klue-re-v1.1_dev.json");

    server.clearRequests();
    assertThat(hub.fetchKlueRe(KlueReFile.DEV, blobId(SMALL))).isEqualTo(dev);
    assertThat(server.paths()).as("a checked cached file is not fetched again").isEmpty();
  }

  @Test
  void rejectsAFileThatIsNotTheOfficialOneNamingItAndBothIdsAndKeepsNothing() throws IOException {
    server.put("/mirror/klue-re-v1.1/klue-re-v1.1_train.json", SMALL);

    assertThatThrownBy(() -> hub().resolveFile("klue-re:v1.1/train"))
        .isInstanceOf(ContentMismatchException.class)
        .hasMessageContaining("klue-re-v1.1_train.json")
        .hasMessageContaining("expected 83b1fd41b1ea65dc29cd5bcfe1721bcdb25bd4d6")
        .hasMessageContaining("actual " + blobId(SMALL))
        .hasMessageContaining("KRET_KLUE_RE_BASE_URL");
    try (Stream<Path> left = Files.walk(cache)) {
      assertThat(left.filter(Files::isRegularFile)).as("no file, no .part").isEmpty();
    }
    assertThat(server.count("/mirror/klue-re-v1.1/klue-re-v1.1_train.json"))
        .as("a mismatch is not retried")
        .isEqualTo(1);
  }

  @Test
  void aDatasetNamedByAliasFailsAsInvalidDataNamingTheAlias() {
    server.put("/mirror/klue-re-v1.1/klue-re-v1.1_dev.json", SMALL);

    assertThatThrownBy(() -> KlueReDataset.load("klue-re:v1.1/dev", LoadOptions.defaults(), hub()))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith("klue-re:v1.1/dev: klue-re-v1.1_dev.json from http://127.0.0.1:")
        .hasMessageContaining("expected f3e013f47e0a5a5d234410f8cdaa1eb8d89ccce3");
  }

  @Test
  void downloadsAgainWhenTheCachedFileNoLongerMatches() throws IOException {
    server.put("/mirror/klue-re-v1.1/klue-re-v1.1_dev.json", SMALL);
    Hub hub = hub();
    Path cached = hub.klueReCachePath(KlueReFile.DEV);
    Files.createDirectories(cached.getParent());
    Files.writeString(cached, SMALL.substring(0, 40)); // cut short

    assertThat(hub.fetchKlueRe(KlueReFile.DEV, blobId(SMALL))).hasContent(SMALL);
    assertThat(server.count("/mirror/klue-re-v1.1/klue-re-v1.1_dev.json")).isEqualTo(1);
  }

  @Test
  void aTruncatedDownloadIsRetriedAndNeverLandsInTheCache() {
    server.truncate("/mirror/klue-re-v1.1/klue-re-v1.1_dev.json", 1000, 10);

    assertThatThrownBy(() -> hub().fetchKlueRe(KlueReFile.DEV, blobId(SMALL)))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("after 2 attempt(s)");
    assertThat(hub().klueReCachePath(KlueReFile.DEV)).doesNotExist();
  }

  @Test
  void theBaseUrlComesFromKretKlueReBaseUrlElseTheKlueRepository() {
    assertThat(HubConfig.fromEnvironment(Map.of()).klueReBaseUrl())
        .isEqualTo(
            "https://raw.githubusercontent.com/KLUE-benchmark/KLUE/main/klue_benchmark/klue-re-v1.1/");
    assertThat(
            HubConfig.fromEnvironment(Map.of("KRET_KLUE_RE_BASE_URL", "http://mirror.local/klue//"))
                .klueReBaseUrl())
        .isEqualTo("http://mirror.local/klue/");
  }

  @Test
  void namesTheReleaseOrOneFile() {
    assertThat(KlueReFile.resolve("klue-re:v1.1"))
        .containsExactly(KlueReFile.TRAIN, KlueReFile.DEV);
    assertThat(KlueReFile.resolve("klue-re:v1.1/dev")).containsExactly(KlueReFile.DEV);
    assertThatThrownBy(() -> KlueReFile.resolve("klue-re:v1.1/validation"))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("klue-re:v1.1/train or klue-re:v1.1/dev");
    assertThatThrownBy(() -> hub().resolveFile("klue-re:v1.1"))
        .hasMessageContaining("names both KLUE-RE files");
  }

  @Test
  void theSpecKnowsTheSameAliases() {
    assertThat(List.of(DatasetSpec.KLUE_RE_TRAIN, DatasetSpec.KLUE_RE_DEV))
        .containsExactly(KlueReFile.TRAIN.alias(), KlueReFile.DEV.alias());
  }
}
