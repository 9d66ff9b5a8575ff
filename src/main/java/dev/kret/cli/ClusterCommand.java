package dev.kret.cli;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.ExitCodes;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the API server: builds the client from {@link ClusterOptions}, turns API
 * errors into one-line messages with exit codes scripts can rely on ({@link ApiErrors}), and prints
 * stack traces only with {@code --verbose}.
 */
public abstract class ClusterCommand implements Callable<Integer> {

  static final String CRD_NAME = "finetuneruns." + FineTuneRun.GROUP;
  static final String CRD_HINT =
      "the FineTuneRun CRD ("
          + CRD_NAME
          + ") is not installed in this cluster; install it with"
          + " kubectl apply -f k8s/crd/finetuneruns.kret.dev-v1.yml (or helm install kret"
          + " charts/kret)";

  @Mixin ClusterOptions cluster;

  @Spec CommandSpec spec;

  /** The command's work; throw {@link CliException} for expected failures. */
  protected abstract int run(KubernetesClient client, String namespace) throws Exception;

  @Override
  public final Integer call() {
    try (ClusterConnection connection = cluster.connect()) {
      KubernetesClient client = connection.client();
      return run(client, cluster.namespace(client));
    } catch (CliException e) {
      return fail(e.exitCode(), e.getMessage(), e);
    } catch (KubernetesClientException e) {
      return apiError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(ExitCodes.FAILED, "interrupted", e);
    } catch (Exception e) {
      return fail(ExitCodes.FAILED, "error: " + e.getMessage(), e);
    }
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  int fail(int code, String message, Throwable e) {
    err().println(message.startsWith("error: ") ? message : "error: " + message);
    if (cluster.verbose && e != null) {
      e.printStackTrace(err());
    }
    err().flush();
    return code;
  }

  private int apiError(KubernetesClientException e) {
    ApiErrors.Failure f = ApiErrors.of(e, cluster::describeMaster);
    return fail(f.exitCode(), f.message(), e);
  }

  static MixedOperation<FineTuneRun, KubernetesResourceList<FineTuneRun>, Resource<FineTuneRun>>
      runs(KubernetesClient client) {
    return client.resources(FineTuneRun.class);
  }

  /** The run, or a CliException saying whether the run or the CRD is missing. */
  static FineTuneRun getRun(KubernetesClient client, String namespace, String name) {
    FineTuneRun run;
    try {
      run = runs(client).inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        run = null;
      } else {
        throw e;
      }
    }
    if (run == null) {
      requireCrd(client, namespace);
      throw new CliException(
          ExitCodes.NOT_FOUND,
          "finetunerun \""
              + name
              + "\" not found in namespace "
              + namespace
              + " (kretctl status -n "
              + namespace
              + " lists the runs)");
    }
    return run;
  }

  /** Fails with {@link ExitCodes#CRD_MISSING} when listing runs is answered with 404. */
  static void requireCrd(KubernetesClient client, String namespace) {
    try {
      runs(client)
          .inNamespace(namespace)
          .list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build());
    } catch (KubernetesClientException e) {
      throw translateList(e);
    }
  }

  /** A 404 from a list of runs means the CRD is missing; anything else is passed on. */
  static RuntimeException translateList(KubernetesClientException e) {
    if (e.getCode() == 404) {
      return new CliException(ExitCodes.CRD_MISSING, CRD_HINT, e);
    }
    return e;
  }
}
