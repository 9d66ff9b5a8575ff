package dev.kret.operator;

import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.HashMap;
import java.util.Map;

/** The Service in front of the predictor; like the Deployment, owned by no run. */
public final class PredictorService {
  private PredictorService() {}

  public static String url(String serving, String namespace) {
    return "http://" + serving + "." + namespace + ".svc:" + PredictorDeployment.PORT;
  }

  public static Service desired(String serving, String namespace) {
    Map<String, String> labels = new HashMap<>(PredictorDeployment.selector(serving));
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(serving)
        .withNamespace(namespace)
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withSelector(PredictorDeployment.selector(serving))
        .addNewPort()
        .withName("http")
        .withPort(PredictorDeployment.PORT)
        .withTargetPort(new IntOrString("http"))
        .endPort()
        .endSpec()
        .build();
  }
}
