package dev.kret.cli;

import dev.kret.api.v1alpha1.DatasetSpec;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.ExitCodes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kretctl apply -f FILE}: validates the FineTuneRun locally (the same strict reader as
 * {@code kretctl train --local}: the CRD's schema and the rules it cannot say, errors naming field
 * and line), then creates it or updates its spec, labels and annotations.
 */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = "Validate a FineTuneRun file, then create the run or update it.")
public class ApplyCommand extends ClusterCommand {

  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "FILE",
      description = "FineTuneRun YAML file.")
  Path file;

  @Option(names = "--dry-run", description = "Validate only; send nothing to the cluster.")
  boolean dryRun;

  @Override
  protected int run(KubernetesClient client, String namespace) throws Exception {
    FineTuneRun run;
    try {
      run = RunFiles.read(file);
    } catch (RunFiles.InvalidSpecException e) {
      throw new CliException(ExitCodes.INVALID_CONFIG, e.getMessage(), e);
    }
    String name = run.getMetadata() == null ? null : run.getMetadata().getName();
    if (name == null || name.isBlank()) {
      throw new CliException(ExitCodes.INVALID_CONFIG, file + ": metadata.name is required");
    }
    if (name.length() > FineTuneRun.MAX_NAME_LENGTH) {
      // The CRD's CEL rule on metadata.name, which the schema check does not evaluate.
      throw new CliException(
          ExitCodes.INVALID_CONFIG,
          file
              + ": metadata.name: Invalid value: \""
              + name
              + "\": must be at most "
              + FineTuneRun.MAX_NAME_LENGTH
              + " characters: the training Job <name>-train must stay a valid label value");
    }
    if (!RunFiles.namesTrainingData(run)) {
      // Valid for the API server, which defaults it; said, since it is rarely meant.
      err()
          .println(
              "Warning: "
                  + file
                  + ": spec.dataset.train is not set: the run trains on "
                  + DatasetSpec.DEFAULT_TRAIN
                  + " (the bundled sample, the CRD's default)");
    }
    String fileNs = run.getMetadata().getNamespace();
    if (fileNs != null && cluster.namespace != null && !fileNs.equals(cluster.namespace)) {
      throw new CliException(
          ExitCodes.INVALID_CONFIG,
          file
              + ": the namespace in the file ("
              + fileNs
              + ") does not match --namespace "
              + cluster.namespace);
    }
    String ns = fileNs != null ? fileNs : namespace;
    run.getMetadata().setNamespace(ns);
    String ref = "finetunerun.kret.dev/" + name;
    if (dryRun) {
      out().println(ref + " valid (dry run)");
      return ExitCodes.OK;
    }
    FineTuneRun existing;
    try {
      existing = runs(client).inNamespace(ns).withName(name).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
      existing = null;
    }
    if (existing == null) {
      requireCrd(client, ns);
      run.setStatus(null);
      runs(client).inNamespace(ns).resource(run).create();
      out().println(ref + " created");
      return ExitCodes.OK;
    }
    Map<String, String> labels =
        merged(existing.getMetadata().getLabels(), run.getMetadata().getLabels());
    Map<String, String> annotations =
        merged(existing.getMetadata().getAnnotations(), run.getMetadata().getAnnotations());
    if (Objects.equals(existing.getSpec(), run.getSpec())
        && Objects.equals(labels, existing.getMetadata().getLabels())
        && Objects.equals(annotations, existing.getMetadata().getAnnotations())) {
      out().println(ref + " unchanged");
      return ExitCodes.OK;
    }
    existing.setSpec(run.getSpec());
    existing.getMetadata().setLabels(labels);
    existing.getMetadata().setAnnotations(annotations);
    // update() sends the resourceVersion read above: a concurrent change is a 409, not lost.
    runs(client).inNamespace(ns).resource(existing).update();
    out().println(ref + " configured");
    return ExitCodes.OK;
  }

  private static Map<String, String> merged(Map<String, String> old, Map<String, String> add) {
    if ((old == null || old.isEmpty()) && (add == null || add.isEmpty())) {
      return old;
    }
    Map<String, String> m = new HashMap<>(old == null ? Map.of() : old);
    if (add != null) {
      m.putAll(add);
    }
    return m;
  }
}
