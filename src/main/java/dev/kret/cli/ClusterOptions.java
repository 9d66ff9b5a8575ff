package dev.kret.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.contract.ExitCodes;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.Utils;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Flags shared by every command that talks to the API server, resolved as kubectl resolves them:
 * {@code --kubeconfig}, else {@code KUBECONFIG} (colon-separated files), else ~/.kube/config, else
 * the in-cluster service account; {@code --context}, else the current context; {@code -n}, else the
 * context's namespace, else {@code default}.
 */
public class ClusterOptions {

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
  Path kubeconfig;

  @Option(
      names = "--context",
      paramLabel = "NAME",
      description = "Kubeconfig context (default: the current context).")
  String context;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      description = "Namespace (default: the context's, else default).")
  String namespace;

  @Option(
      names = {"-v", "--verbose"},
      description = "Print stack traces of errors.")
  boolean verbose;

  /** The API server's address for messages, or "the API server" when the config cannot say. */
  String describeMaster() {
    try {
      return config().getMasterUrl();
    } catch (RuntimeException ignored) {
      return "the API server";
    }
  }

  /** The client configuration; fails with a usage error when the kubeconfig or context is bad. */
  Config config() {
    KubeconfigParsing.beforeReading();
    Config config;
    if (kubeconfig != null) {
      if (!Files.isRegularFile(kubeconfig)) {
        throw new CliException(ExitCodes.USAGE, "kubeconfig " + kubeconfig + ": no such file");
      }
      config = Config.fromKubeconfig(context, kubeconfig.toFile());
    } else {
      if (!somethingToConnectTo()) {
        // Else fabric8 would try https://kubernetes.default.svc: a DNS query, then a vague error.
        throw new CliException(
            ExitCodes.CLUSTER_UNREACHABLE,
            "no cluster configured: no kubeconfig at "
                + kubeconfigFiles()
                + " and not running in a pod (give --kubeconfig, set KUBECONFIG, or create one"
                + " with kubectl config)");
      }
      config = Config.autoConfigure(context);
    }
    if (context != null) {
      NamedContext current = config.getCurrentContext();
      if (current == null || !context.equals(current.getName())) {
        throw new CliException(
            ExitCodes.USAGE,
            "context \""
                + context
                + "\" not found in "
                + (kubeconfig != null ? kubeconfig : kubeconfigFiles())
                + " (kubectl config get-contexts lists them)");
      }
    }
    // A command line tool answers at once: no retry storm against a cluster that is not there.
    config.setRequestRetryBackoffLimit(0);
    config.setConnectionTimeout(5_000);
    config.setRequestTimeout(15_000);
    return config;
  }

  /** A kubeconfig file exists, a master URL is set, or this runs in a pod (kubectl's sources). */
  static boolean somethingToConnectTo() {
    for (String f : Config.getKubeconfigFilenames()) {
      if (Files.isRegularFile(Path.of(f))) {
        return true;
      }
    }
    return notBlank(Utils.getSystemPropertyOrEnvVar(Config.KUBERNETES_MASTER_SYSTEM_PROPERTY))
        || notBlank(Utils.getSystemPropertyOrEnvVar(Config.KUBERNETES_SERVICE_HOST_PROPERTY));
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }

  /**
   * A client that knows only the types it is asked for: without the class-path scan for every
   * Kubernetes kind (~1000 model classes loaded at the first response), which halves the time of a
   * {@code kretctl status}. Typed calls ({@code client.resources(FineTuneRun.class)}, {@code
   * client.pods()}) do not need the scan.
   */
  ClusterConnection connect() {
    Config config = config();
    // The JDK's own HTTP client: a status call loads about 900 fewer classes than with Vert.x and
    // Netty, which start an event loop, buffer pools and a DNS resolver for one request.
    return ClusterConnection.open(
        () ->
            new KubernetesClientBuilder()
                .withConfig(config)
                .withHttpClientFactory(new JdkHttpClientFactory())
                .withKubernetesSerialization(new KubernetesSerialization(new ObjectMapper(), false))
                .build());
  }

  /** -n, else the context's namespace, else default. */
  String namespace(KubernetesClient client) {
    if (namespace != null && !namespace.isBlank()) {
      return namespace;
    }
    String ns = client.getConfiguration().getNamespace();
    return ns == null || ns.isBlank() ? "default" : ns;
  }

  /** The kubeconfig files fabric8 reads ($KUBECONFIG, else ~/.kube/config), for messages. */
  static String kubeconfigFiles() {
    return String.join(File.pathSeparator, Config.getKubeconfigFilenames());
  }
}
