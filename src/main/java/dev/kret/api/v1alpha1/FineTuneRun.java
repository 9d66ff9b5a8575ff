package dev.kret.api.v1alpha1;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A fine-tuning run: one model, one dataset, one set of hyperparameters, one served result. */
@Group("kret.dev")
@Version("v1alpha1")
@ShortNames("ftr")
public class FineTuneRun extends CustomResource<FineTuneRunSpec, FineTuneRunStatus>
    implements Namespaced {}
