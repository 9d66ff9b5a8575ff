package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kret.contract.ExitCodes;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kretctl data fetch}, against a local server standing in for the KLUE repository. */
class DataCommandTest {

  @TempDir Path cache;

  private HttpServer server;
  private final List<String> requested = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    byte[] body = "[]\n".getBytes(StandardCharsets.UTF_8);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/klue-re-v1.1/",
        ex -> {
          requested.add(ex.getRequestURI().getPath());
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  record Run(int code, String out, String err) {}

  private Run fetch(String... args) {
    DataCommand.Fetch fetch = new DataCommand.Fetch();
    fetch.env =
        Map.of(
            "KRET_CACHE",
            cache.toString(),
            "KRET_KLUE_RE_BASE_URL",
            "http://127.0.0.1:" + server.getAddress().getPort() + "/klue-re-v1.1");
    CommandLine cli = new CommandLine(fetch);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void aFileThatIsNotTheOfficialOneExitsWith3NamingBothIdsAndIsNotKept() throws IOException {
    Run r = fetch("klue-re:v1.1/dev");

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("klue-re-v1.1_dev.json", "expected f3e013f47e0a5a5d234410f8cdaa1eb8d89ccce3")
        .contains("the download was deleted");
    assertThat(requested).containsExactly("/klue-re-v1.1/klue-re-v1.1_dev.json");
    try (Stream<Path> files = Files.walk(cache)) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void withoutNamesItFetchesBothFilesStartingWithTrain() {
    Run r = fetch();

    assertThat(r.code()).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(r.err()).contains("source: http://127.0.0.1:", "klue-re-v1.1_train.json");
    assertThat(requested).containsExactly("/klue-re-v1.1/klue-re-v1.1_train.json");
  }

  @Test
  void anUnknownNameIsAUsageErrorListingTheKnownOnes() {
    Run r = fetch("klue-re:v1.0/train");

    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("klue-re:v1.1/train or klue-re:v1.1/dev");
    assertThat(requested).isEmpty();
  }
}
