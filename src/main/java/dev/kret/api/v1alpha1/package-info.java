/**
 * The FineTuneRun custom resource (group {@code kret.dev}, version {@code v1alpha1}): its spec and
 * status records, from which {@code k8s/crd/finetuneruns.kret.dev-v1.yml} is generated, the
 * validation of a spec against that CRD ({@link dev.kret.api.v1alpha1.SpecValidation}), and the
 * records of the progress ConfigMap ({@link dev.kret.api.v1alpha1.TrainingProgress}).
 *
 * <p>The bottom layer: imports nothing of kret. Everything else may import it.
 */
package dev.kret.api.v1alpha1;
