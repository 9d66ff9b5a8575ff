package dev.kret;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way, as the package-infos and the README's "Where things are" say: {@code
 * cli} → {@code operator}/{@code train}/{@code serve} → the libraries ({@code model}, {@code text},
 * {@code data}, {@code metrics}, {@code hub}) → {@code contract} → {@code api}.
 */
class LayeringTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.kret");
  }

  @Test
  void noPackageImportsOneOfAHigherLayer() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("cli")
        .definedBy("dev.kret.cli..")
        .layer("operator")
        .definedBy("dev.kret.operator..")
        .layer("train")
        .definedBy("dev.kret.train..")
        .layer("serve")
        .definedBy("dev.kret.serve..")
        .layer("libraries")
        .definedBy(
            "dev.kret.model..",
            "dev.kret.text..",
            "dev.kret.data..",
            "dev.kret.metrics..",
            "dev.kret.hub..")
        .layer("contract")
        .definedBy("dev.kret.contract..")
        .layer("api")
        .definedBy("dev.kret.api..")
        .whereLayer("cli")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("operator")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("train")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("serve")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("libraries")
        .mayOnlyBeAccessedByLayers("cli", "operator", "train", "serve")
        .whereLayer("contract")
        .mayOnlyBeAccessedByLayers("cli", "operator", "train", "serve", "libraries")
        .check(classes);
  }

  @Test
  void theLibrariesImportOnlyThoseBelowThem() {
    // hub → api; data → hub; text → data; metrics → data; model → text, data, hub, metrics.
    noClasses()
        .that()
        .resideInAPackage("dev.kret.hub..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.kret.data..", "dev.kret.text..", "dev.kret.metrics..", "dev.kret.model..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("dev.kret.data..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.kret.text..", "dev.kret.metrics..", "dev.kret.model..")
        .check(classes);
    noClasses()
        .that()
        .resideInAnyPackage("dev.kret.text..", "dev.kret.metrics..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.kret.model..")
        .check(classes);
  }

  @Test
  void noTwoPackagesImportEachOther() {
    slices().matching("dev.kret.(*)..").should().beFreeOfCycles().check(classes);
  }
}
