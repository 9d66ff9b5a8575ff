package dev.kret.operator;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Objects;

/**
 * The pods the operator reads a run's training from: only those whose controller is the run's own
 * Job. Labels alone are not proof: anyone who may create pods in the namespace can label one {@code
 * kret.dev/run=<run>}, and its termination message would then be read as the run's summary (the
 * promoted model path and metric) or its failure.
 */
public final class TrainingPods {
  private TrainingPods() {}

  /** {@code pods} whose controlling owner reference is {@code job} (by UID); none without a Job. */
  public static List<Pod> ownedBy(Job job, List<Pod> pods) {
    if (job == null || job.getMetadata() == null || job.getMetadata().getUid() == null) {
      return List.of();
    }
    String uid = job.getMetadata().getUid();
    return pods.stream().filter(p -> controlledBy(p, uid)).toList();
  }

  private static boolean controlledBy(Pod pod, String uid) {
    List<OwnerReference> owners =
        pod.getMetadata() == null ? null : pod.getMetadata().getOwnerReferences();
    return owners != null
        && owners.stream()
            .anyMatch(
                o ->
                    Boolean.TRUE.equals(o.getController())
                        && "Job".equals(o.getKind())
                        && Objects.equals(uid, o.getUid()));
  }
}
