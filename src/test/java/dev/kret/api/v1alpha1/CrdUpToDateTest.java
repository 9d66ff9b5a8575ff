package dev.kret.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keeps the committed CRD identical to the one generated from the Java model.
 *
 * <p>Regenerate with {@code mvn test -Dtest=CrdUpToDateTest -Dkret.crd.update=true}.
 */
class CrdUpToDateTest {
  static final Path COMMITTED = Path.of("k8s/crd/finetuneruns.kret.dev-v1.yml");

  /** The generator sorts printer columns by JSON path; kubectl shows them in list order. */
  static HasMetadata columnsInDeclarationOrder(HasMetadata crd) {
    List<String> order =
        Arrays.stream(FineTuneRun.class.getAnnotationsByType(AdditionalPrinterColumn.class))
            .map(AdditionalPrinterColumn::name)
            .toList();
    for (CustomResourceDefinitionVersion v :
        ((CustomResourceDefinition) crd).getSpec().getVersions()) {
      v.getAdditionalPrinterColumns()
          .sort(Comparator.comparingInt(c -> order.indexOf(c.getName())));
    }
    return crd;
  }

  @Test
  void committedCrdMatchesGeneratedOne() throws IOException {
    Path out = Files.createTempDirectory("crd");
    new CRDGenerator()
        .inOutputDir(out.toFile())
        .forCRDVersions("v1")
        .customResourceClasses(FineTuneRun.class)
        .withPostProcessor(
            new CRDPostProcessor() {
              @Override
              public HasMetadata process(HasMetadata crd, String version) {
                return columnsInDeclarationOrder(crd);
              }
            })
        .generate();
    String generated = Files.readString(out.resolve(COMMITTED.getFileName()));
    if (Boolean.getBoolean("kret.crd.update")) {
      Files.createDirectories(COMMITTED.getParent());
      Files.writeString(COMMITTED, generated);
      // The Helm chart carries the same file (ChartTest checks they are equal).
      Files.writeString(Path.of("charts/kret/crds").resolve(COMMITTED.getFileName()), generated);
    }
    assertThat(COMMITTED)
        .as("k8s/crd is stale: rerun with -Dkret.crd.update=true and commit")
        .exists();
    assertThat(Files.readString(COMMITTED)).isEqualTo(generated);
  }
}
