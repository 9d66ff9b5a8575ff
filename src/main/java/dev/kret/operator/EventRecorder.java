package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.Labels;
import dev.kret.contract.Reason;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * The one way the operator emits Kubernetes events. Names are derived from run, reason and message,
 * so a repeat bumps {@code count} on the existing event instead of adding another.
 */
@ApplicationScoped
public class EventRecorder {
  static final String COMPONENT = "kret-operator";
  private static final Logger LOG = Logger.getLogger(EventRecorder.class);

  @Inject KubernetesClient client;
  Clock clock = Clock.systemUTC();

  public void record(FineTuneRun run, Reason reason, String message) {
    String namespace = run.getMetadata().getNamespace();
    String name = eventName(run, reason, message);
    String now = Conditions.timestamp(Instant.now(clock));
    try {
      var events = client.v1().events().inNamespace(namespace);
      Event existing = events.withName(name).get();
      if (existing != null) {
        existing.setCount(Objects.requireNonNullElse(existing.getCount(), 1) + 1);
        existing.setLastTimestamp(now);
        events.resource(existing).update();
        return;
      }
      events
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(namespace)
                  .withLabels(java.util.Map.of(Labels.RUN, run.getMetadata().getName()))
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withApiVersion(run.getApiVersion())
                  .withKind(run.getKind())
                  .withName(run.getMetadata().getName())
                  .withNamespace(namespace)
                  .withUid(run.getMetadata().getUid())
                  .endInvolvedObject()
                  .withType(reason.eventType())
                  .withReason(reason.name())
                  .withMessage(message)
                  .withCount(1)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withNewSource()
                  .withComponent(COMPONENT)
                  .endSource()
                  .withReportingComponent(COMPONENT)
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      // Events are best effort: losing one must never fail or retry a reconcile.
      LOG.debugf(e, "could not record event %s for %s/%s", reason, namespace, name);
    }
  }

  static String eventName(FineTuneRun run, Reason reason, String message) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(Objects.toString(run.getMetadata().getUid(), "").getBytes(StandardCharsets.UTF_8));
      sha.update(reason.name().getBytes(StandardCharsets.UTF_8));
      sha.update(Objects.toString(message, "").getBytes(StandardCharsets.UTF_8));
      return run.getMetadata().getName()
          + "."
          + HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
