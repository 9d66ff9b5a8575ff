package dev.kret.cli;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.ExitCodes;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kretctl status [NAME]}: the runs as a table, or one run in detail. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show FineTuneRuns: a table of all runs in the namespace, or one run in detail",
      "(conditions, epochs with the best marked, a chart of the objective, the Job and",
      "its pods, the endpoint, the latest Warning events)."
    })
public class StatusCommand extends ClusterCommand {

  static final int EVENTS_SHOWN = 5;

  @Parameters(arity = "0..1", paramLabel = "NAME", description = "A run to show in detail.")
  String name;

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "Runs in every namespace.")
  boolean allNamespaces;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "table, wide, json or yaml (default: ${DEFAULT-VALUE}).")
  String output;

  @Option(
      names = {"-w", "--watch"},
      description = "Redraw whenever a run changes (Ctrl-C to stop).")
  boolean watch;

  /** For tests and scripts: stop watching after this many drawings (the first one included). */
  @Option(names = "--max-redraws", hidden = true, defaultValue = "0")
  int maxRedraws;

  @Override
  protected int run(KubernetesClient client, String namespace) throws Exception {
    String format = output.toLowerCase(Locale.ROOT);
    if (!List.of("table", "wide", "json", "yaml").contains(format)) {
      throw new CliException(
          ExitCodes.USAGE, "unknown output format " + output + " (table, wide, json or yaml)");
    }
    if (name != null && allNamespaces) {
      throw new CliException(ExitCodes.USAGE, "a run NAME cannot be combined with -A");
    }
    String last = render(client, namespace, format);
    draw(last, false);
    if (!watch) {
      return ExitCodes.OK;
    }
    int drawn = 1;
    BlockingQueue<Object> changes = new LinkedBlockingQueue<>();
    Watcher<FineTuneRun> watcher =
        new Watcher<>() {
          @Override
          public void eventReceived(Action action, FineTuneRun resource) {
            changes.offer(action);
          }

          @Override
          public void onClose(WatcherException cause) {
            changes.offer(cause);
          }
        };
    var runs = runs(client);
    try (Watch w =
        name != null
            ? runs.inNamespace(namespace).withName(name).watch(watcher)
            : allNamespaces
                ? runs.inAnyNamespace().watch(watcher)
                : runs.inNamespace(namespace).watch(watcher)) {
      while (maxRedraws <= 0 || drawn < maxRedraws) {
        // Woken by a change, or every few seconds for the ages and the pods.
        Object change = changes.poll(5, TimeUnit.SECONDS);
        if (change instanceof WatcherException e) {
          throw new CliException(ExitCodes.FAILED, "watch closed: " + e.getMessage(), e);
        }
        changes.clear();
        String now = render(client, namespace, format);
        if (!now.equals(last)) {
          draw(now, true);
          last = now;
          drawn++;
        }
      }
    }
    return ExitCodes.OK;
  }

  private void draw(String text, boolean redraw) {
    var out = out();
    if (redraw) {
      if (System.console() != null) {
        out.print("\033[H\033[2J");
      } else {
        out.println();
      }
    }
    out.print(text);
    out.flush();
  }

  String render(KubernetesClient client, String namespace, String format) {
    Instant now = Instant.now();
    if (name != null) {
      FineTuneRun run = getRun(client, namespace, name);
      return switch (format) {
        case "json" -> client.getKubernetesSerialization().asJson(run) + "\n";
        case "yaml" -> client.getKubernetesSerialization().asYaml(run);
        default -> StatusView.detail(detail(client, run), now);
      };
    }
    List<FineTuneRun> items;
    try {
      items =
          new ArrayList<>(
              (allNamespaces
                      ? runs(client).inAnyNamespace().list()
                      : runs(client).inNamespace(namespace).list())
                  .getItems());
    } catch (KubernetesClientException e) {
      throw translateList(e);
    }
    items.sort(
        Comparator.comparing((FineTuneRun r) -> r.getMetadata().getNamespace())
            .thenComparing(r -> r.getMetadata().getName()));
    return switch (format) {
      case "json" -> client.getKubernetesSerialization().asJson(list(items)) + "\n";
      case "yaml" -> client.getKubernetesSerialization().asYaml(list(items));
      default -> {
        if (items.isEmpty()) {
          yield allNamespaces
              ? "No resources found\n"
              : "No resources found in " + namespace + " namespace.\n";
        }
        yield StatusView.table(items, allNamespaces, "wide".equals(format), now);
      }
    };
  }

  /** A v1 List, as kubectl prints several objects. */
  private static Object list(List<FineTuneRun> items) {
    Map<String, Object> list = new LinkedHashMap<>();
    list.put("apiVersion", "v1");
    list.put("kind", "List");
    list.put("items", items);
    return list;
  }

  static StatusView.Detail detail(KubernetesClient client, FineTuneRun run) {
    String ns = run.getMetadata().getNamespace();
    String runName = run.getMetadata().getName();
    var s = run.getStatus();
    Job job = null;
    if (s != null && s.training() != null && s.training().jobName() != null) {
      job = client.batch().v1().jobs().inNamespace(ns).withName(s.training().jobName()).get();
    }
    List<Pod> pods =
        new ArrayList<>(
            client.pods().inNamespace(ns).withLabel(Labels.RUN, runName).list().getItems());
    pods.sort(Comparator.comparing(p -> String.valueOf(p.getMetadata().getCreationTimestamp())));
    Deployment predictor = null;
    if (s != null && s.serving() != null && s.serving().name() != null) {
      predictor = client.apps().deployments().inNamespace(ns).withName(s.serving().name()).get();
    }
    Set<String> names = new HashSet<>();
    names.add(runName);
    if (job != null) {
      names.add(job.getMetadata().getName());
    }
    pods.forEach(p -> names.add(p.getMetadata().getName()));
    List<Event> events = client.v1().events().inNamespace(ns).list().getItems();
    return new StatusView.Detail(
        run, job, pods, StatusView.latestWarnings(events, names, EVENTS_SHOWN), predictor);
  }
}
