package dev.kret.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.Fixtures;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the predict tests run against: the tiny RoBERTa fixture served on loopback under a model
 * name, and the first rows of the bundled sample's validation split written as official JSON.
 */
public record FixtureEndpoint(PredictionServer server, Path data, RelationExample first)
    implements AutoCloseable {

  /** Serves the fixture as {@code name}, writes {@code rows} rows to {@code dir}, waits for it. */
  public static FixtureEndpoint start(String name, Path dir, int rows) throws Exception {
    List<RelationExample> dev =
        KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
            .examples()
            .subList(0, rows);
    Path data = dir.resolve("dev" + rows + ".json");
    new ObjectMapper().writeValue(data.toFile(), dev);
    Djl.offline();
    PredictionServer server =
        PredictionServer.start(
            ServeConfig.loopback(name),
            () -> ModelDirectory.open(Fixtures.TINY_ROBERTA, Djl.device(false)));
    server.loaded().get(60, TimeUnit.SECONDS);
    return new FixtureEndpoint(server, data, dev.get(0));
  }

  public String baseUrl() {
    return server.baseUrl();
  }

  @Override
  public void close() {
    server.close();
  }
}
