package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kret.api.v1alpha1.DatasetSpec;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kretctl train --data-dir DIR}: the spec's data replaced by DIR's files. */
class RunFilesTest {

  @TempDir Path dir;

  private static final FineTuneRunSpec SPEC =
      new FineTuneRunSpec(
          null,
          new DatasetSpec(DatasetSpec.KLUE_RE_TRAIN, DatasetSpec.KLUE_RE_DEV, true),
          null,
          null,
          null);

  @Test
  void readsTrainAndDevJsonAndKeepsSkipInvalid() throws Exception {
    Files.writeString(dir.resolve("train.json"), "[]");
    Files.writeString(dir.resolve("dev.json"), "[]");

    DatasetSpec d = RunFiles.withDataDir(SPEC, dir).dataset();

    assertThat(d.train()).isEqualTo(dir.resolve("train.json").toAbsolutePath().toString());
    assertThat(d.validation()).isEqualTo(dir.resolve("dev.json").toAbsolutePath().toString());
    assertThat(d.skipInvalid()).isTrue();
  }

  @Test
  void fallsBackToTheOfficialFileNames() throws Exception {
    Files.writeString(dir.resolve("klue-re-v1.1_train.json"), "[]");
    Files.writeString(dir.resolve("klue-re-v1.1_dev.json"), "[]");

    DatasetSpec d = RunFiles.withDataDir(SPEC, dir).dataset();

    assertThat(Path.of(d.train()).getFileName()).hasToString("klue-re-v1.1_train.json");
    assertThat(Path.of(d.validation()).getFileName()).hasToString("klue-re-v1.1_dev.json");
  }

  @Test
  void aMissingFileIsAnErrorNamingBothNames() throws IOException {
    Files.writeString(dir.resolve("train.json"), "[]");

    assertThatThrownBy(() -> RunFiles.withDataDir(SPEC, dir))
        .isInstanceOf(RunFiles.InvalidSpecException.class)
        .hasMessageContaining("--data-dir " + dir)
        .hasMessageContaining("neither dev.json nor klue-re-v1.1_dev.json");
    assertThatThrownBy(() -> RunFiles.withDataDir(SPEC, dir.resolve("nope")))
        .hasMessageContaining("no such directory");
  }
}
