package dev.kret.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A fine-tuning run: one model, one dataset, one set of hyperparameters, one served result. Its
 * name is at most {@value #MAX_NAME_LENGTH} characters: the training Job is {@code <name>-train},
 * and the Job controller puts the Job's name into a label value, which may not exceed 63.
 */
@ValidationRule(
    value = "self.metadata.name.size() <= " + FineTuneRun.MAX_NAME_LENGTH,
    message =
        "metadata.name must be at most "
            + FineTuneRun.MAX_NAME_LENGTH
            + " characters: the training Job <name>-train must stay a valid label value")
@Group(FineTuneRun.GROUP)
@Version("v1alpha1")
@ShortNames("ftr")
@Categories({"all", "kret"})
@AdditionalPrinterColumn(name = "State", jsonPath = ".status.state", type = Type.STRING)
@AdditionalPrinterColumn(name = "Epoch", jsonPath = ".status.progress.epoch", type = Type.INTEGER)
@AdditionalPrinterColumn(
    name = "MLM",
    jsonPath = ".status.progress.mlmEpoch",
    type = Type.INTEGER,
    priority = 1)
@AdditionalPrinterColumn(name = "Best", jsonPath = ".status.best.value", type = Type.NUMBER)
@AdditionalPrinterColumn(name = "Serving", jsonPath = ".status.serving.name", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.reason",
    type = Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "GPU",
    jsonPath = ".spec.resources.gpus",
    type = Type.INTEGER,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Endpoint",
    jsonPath = ".status.serving.url",
    type = Type.STRING,
    priority = 1)
public class FineTuneRun extends CustomResource<FineTuneRunSpec, FineTuneRunStatus>
    implements Namespaced {
  public static final String GROUP = "kret.dev";

  /** Longest name whose derived names (Job {@code <name>-train}, its label) stay valid. */
  public static final int MAX_NAME_LENGTH = 57;
}
