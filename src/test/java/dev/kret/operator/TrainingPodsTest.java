package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingPodsTest {

  static final Job JOB =
      new JobBuilder()
          .withNewMetadata()
          .withName("klue-train")
          .withUid("job-uid")
          .endMetadata()
          .build();

  static Pod pod(String name, String kind, String uid, Boolean controller) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName(name).endMetadata();
    if (kind != null) {
      b.editMetadata()
          .withOwnerReferences(
              new OwnerReferenceBuilder()
                  .withKind(kind)
                  .withName("klue-train")
                  .withUid(uid)
                  .withController(controller)
                  .build())
          .endMetadata();
    }
    return b.build();
  }

  @Test
  void onlyPodsTheRunsJobControlsCount() {
    Pod own = pod("own", "Job", "job-uid", true);
    List<Pod> pods =
        List.of(
            own,
            pod("labels-only", null, null, null),
            pod("other-job", "Job", "another-uid", true),
            pod("not-controller", "Job", "job-uid", false),
            pod("replicaset", "ReplicaSet", "job-uid", true));
    assertThat(TrainingPods.ownedBy(JOB, pods)).containsExactly(own);
  }

  @Test
  void withoutAJobThereAreNoTrainingPods() {
    assertThat(TrainingPods.ownedBy(null, List.of(pod("own", "Job", "job-uid", true)))).isEmpty();
  }
}
