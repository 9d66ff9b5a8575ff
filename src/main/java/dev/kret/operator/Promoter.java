package dev.kret.operator;

import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.PromotionSpec;
import dev.kret.api.v1alpha1.ServingStatus;
import dev.kret.contract.Labels;
import dev.kret.contract.Reason;
import dev.kret.operator.PromotionDecision.Decision;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides once per succeeded run whether its best epoch takes over the serving endpoint, and if so
 * rolls the predictor to it. Conflicting promotions are serialised by the Deployment's
 * resourceVersion: the loser gets a conflict, is retried, and re-decides against the new champion.
 */
@ApplicationScoped
public class Promoter {
  @Inject KubernetesClient client;
  @Inject OperatorConfig config;

  /**
   * True when the run succeeded, asks for promotion, and has not been decided yet or waits for a
   * manual approval that has now arrived, or was refused a serving name kret does not own. A
   * decision is otherwise final: a later champion does not flip an earlier run's Promoted
   * condition.
   */
  public static boolean due(FineTuneRun run, FineTuneRunStatus status) {
    PromotionSpec p = StatusDerivation.specOf(run).promotion();
    if (p == null || !status.condition(Conditions.SUCCEEDED).map(Condition::isTrue).orElse(false)) {
      return false;
    }
    var promoted = status.condition(Conditions.PROMOTED);
    return promoted.isEmpty()
        || (Boolean.TRUE.equals(p.approved())
            && Reason.AwaitingManualPromotion.name().equals(promoted.get().reason()))
        // Not a decision on the model: decided again, e.g. once spec.promotion.serving changes.
        || Reason.ServingNotOwned.name().equals(promoted.get().reason());
  }

  /** The status with the promotion decided (and, when won, carried out). */
  public FineTuneRunStatus promote(FineTuneRun run, FineTuneRunStatus status, Instant now) {
    PromotionSpec p = StatusDerivation.specOf(run).promotion();
    String ns = run.getMetadata().getNamespace();
    Deployment existing = client.apps().deployments().inNamespace(ns).withName(p.serving()).get();
    Service service = client.services().inNamespace(ns).withName(p.serving()).get();
    String foreign = foreign(existing, "Deployment", p.serving());
    if (foreign == null) {
      foreign = foreign(service, "Service", p.serving());
    }
    Decision d =
        foreign != null
            ? new Decision(false, Reason.ServingNotOwned, foreign)
            : PromotionDecision.decide(
                p, status.best(), status.epochs(), PredictorDeployment.champion(existing));
    long generation = Objects.requireNonNullElse(run.getMetadata().getGeneration(), 0L);
    List<Condition> conditions =
        Conditions.set(
            status.conditions(),
            Conditions.PROMOTED,
            d.promote() ? Condition.TRUE : Condition.FALSE,
            d.reason().name(),
            d.message(),
            generation,
            now);
    if (!d.promote()) {
      return with(status, status.state(), conditions, status.serving());
    }
    String modelPath = status.best().modelPath();
    Deployment desired =
        PredictorDeployment.desired(
            run,
            p.serving(),
            modelPath,
            status.best().metric(),
            status.best().value(),
            status.best().model(),
            existing,
            config);
    if (existing == null) {
      client.apps().deployments().inNamespace(ns).resource(desired).create();
    } else {
      client.apps().deployments().inNamespace(ns).resource(desired).update();
    }
    if (service == null) {
      client
          .services()
          .inNamespace(ns)
          .resource(PredictorService.desired(p.serving(), ns))
          .create();
    }
    var previous = PredictorDeployment.champion(existing);
    ServingStatus serving =
        new ServingStatus(
            p.serving(),
            PredictorService.url(p.serving(), ns),
            modelPath,
            previous == null ? null : previous.modelPath());
    return with(status, FineTuneRunStatus.PROMOTED, conditions, serving);
  }

  /**
   * Why an object of that name cannot be used: it exists and kret did not create it; null when it
   * is absent or kret's.
   */
  static String foreign(HasMetadata object, String kind, String name) {
    if (object == null) {
      return null;
    }
    Map<String, String> labels = object.getMetadata().getLabels();
    String manager = labels == null ? null : labels.get(Labels.MANAGED_BY);
    if (Labels.OPERATOR.equals(manager)) {
      return null;
    }
    return kind
        + " "
        + name
        + " exists and is not managed by kret ("
        + Labels.MANAGED_BY
        + "="
        + (manager == null ? "unset" : manager)
        + "); promotion never takes it over: choose another spec.promotion.serving, or delete it";
  }

  private static FineTuneRunStatus with(
      FineTuneRunStatus s, String state, List<Condition> conditions, ServingStatus serving) {
    return new FineTuneRunStatus(
        s.observedGeneration(),
        state,
        s.reason(),
        conditions,
        s.progress(),
        s.epochs(),
        s.best(),
        s.training(),
        serving);
  }
}
