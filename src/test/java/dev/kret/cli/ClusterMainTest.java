package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.ExitCodes;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The plain picocli entry point of the short-lived commands (no Quarkus runtime). */
class ClusterMainTest {

  @TempDir Path tmp;

  @Test
  void aNamedSubcommandGetsATreeWithOnlyItselfAndTheSameUsage() {
    Map<String, CommandLine> full = new CommandLine(new KretCtl()).getSubcommands();
    int checked = 0;
    for (var e : full.entrySet()) {
      if (!(e.getValue().getCommand() instanceof ClusterCommand)) {
        assertThat(ClusterMain.commandLine(new String[] {e.getKey()}).getSubcommands())
            .as(e.getKey())
            .hasSameSizeAs(full);
        continue;
      }
      CommandLine only = ClusterMain.commandLine(new String[] {e.getKey(), "--help"});
      assertThat(only.getSubcommands()).as(e.getKey()).containsOnlyKeys(e.getKey());
      assertThat(only.getSubcommands().get(e.getKey()).getUsageMessage())
          .as(e.getKey())
          .isEqualTo(e.getValue().getUsageMessage());
      assertThat(only.getCommandName()).isEqualTo("kretctl");
      assertThat(only.getCommandSpec().version()).isEqualTo(new String[] {"kretctl 0.1.0"});
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(6);
  }

  @Test
  void helpVersionAndUnknownCommandsGetTheWholeTree() {
    int all = new CommandLine(new KretCtl()).getSubcommands().size();
    for (String[] args :
        new String[][] {{}, {"--help"}, {"-V"}, {"nosuch"}, {"--kubeconfig", "status"}}) {
      assertThat(ClusterMain.commandLine(args).getSubcommands()).hasSize(all);
    }
    assertThat(ClusterMain.commandLine(new String[] {"--help"}).getUsageMessage())
        .isEqualTo(new CommandLine(new KretCtl()).getUsageMessage());
  }

  @Test
  void withoutKubeconfigOrPodItSaysSoInsteadOfTryingTheInClusterAddress() {
    assumeTrue(System.getenv("KUBERNETES_SERVICE_HOST") == null, "not in a pod");
    assumeTrue(System.getenv("KUBERNETES_MASTER") == null, "no master URL set");
    // Earlier tests in this JVM may point fabric8 at a mock server through system properties.
    Map<String, String> saved = new HashMap<>();
    for (String p : List.of("kubeconfig", "kubernetes.master", "kubernetes.service.host")) {
      String v = System.getProperty(p);
      if (v != null) {
        saved.put(p, v);
      }
      System.clearProperty(p);
    }
    System.setProperty("kubeconfig", tmp.resolve("no-such-kubeconfig").toString());
    try {
      String[] args = {"status"};
      CommandLine cli = ClusterMain.commandLine(args);
      StringWriter err = new StringWriter();
      cli.setErr(new PrintWriter(err));
      assertThat(cli.execute(args)).isEqualTo(ExitCodes.CLUSTER_UNREACHABLE);
      assertThat(err.toString())
          .startsWith("error: no cluster configured: no kubeconfig at ")
          .contains("no-such-kubeconfig", "--kubeconfig");
    } finally {
      System.clearProperty("kubeconfig");
      saved.forEach(System::setProperty);
    }
  }

  @Tag("mock-server")
  @Test
  void statusAnswersAndLeavesNoThreadBlockedInNativeCode() throws Exception {
    KubernetesMockServer server = MockApi.crud();
    try (NamespacedKubernetesClient client = server.createClient()) {
      FineTuneRun run = new FineTuneRun();
      run.setMetadata(new ObjectMetaBuilder().withName("run-a").withNamespace("ns").build());
      client.resources(FineTuneRun.class).inNamespace("ns").resource(run).create();
      Path kubeconfig =
          MockApi.kubeconfig(
              tmp.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), "ns");

      Set<Thread> before = Thread.getAllStackTraces().keySet();
      String[] args = {"status", "--kubeconfig", kubeconfig.toString()};
      CommandLine cli = ClusterMain.commandLine(args);
      StringWriter out = new StringWriter();
      cli.setOut(new PrintWriter(out));
      int code = cli.execute(args);

      assertThat(code).isZero();
      assertThat(out.toString()).contains("NAME", "run-a");
      // A thread left waiting in native code (an idle selector: RUNNABLE to Java) delays the
      // JVM's exit by 300 ms; threads parked in Java (idle pools) do not.
      long deadline = System.nanoTime() + 2_000_000_000L;
      Set<String> left;
      do {
        left =
            Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive())
                .filter(t -> t.getState() == Thread.State.RUNNABLE)
                .map(Thread::getName)
                .collect(Collectors.toSet());
        if (!left.isEmpty()) {
          Thread.sleep(20);
        }
      } while (!left.isEmpty() && System.nanoTime() < deadline);
      assertThat(left).isEmpty();
    } finally {
      server.destroy();
    }
  }
}
