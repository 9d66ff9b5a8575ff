package dev.kret.cli;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/** The fabric8 mock API server as the CLI tests use it, and a kubeconfig that points at one. */
final class MockApi {

  private MockApi() {}

  /** A started CRUD mock over plain http. */
  static KubernetesMockServer crud() {
    return started(new HashMap<>(), new KubernetesCrudDispatcher());
  }

  /** A started mock that serves CRUD and, for paths CRUD does not know, expectations. */
  static KubernetesMockServer mixed() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    return started(responses, new KubernetesMixedDispatcher(responses));
  }

  private static KubernetesMockServer started(
      Map<ServerRequest, Queue<ServerResponse>> responses, Dispatcher dispatcher) {
    KubernetesMockServer server =
        new KubernetesMockServer(new Context(), new MockWebServer(), responses, dispatcher, false);
    server.init();
    return server;
  }

  /**
   * Writes a kubeconfig whose current context {@code mock} reaches {@code server} with a token in
   * {@code namespace}; a second context, {@code elsewhere}, uses the namespace {@code nowhere}.
   * Cluster and context carry {@code extensions} as minikube writes them, one of them shaped like a
   * Kubernetes resource: every CLI test reads a kubeconfig that has them.
   */
  static Path kubeconfig(Path file, String server, String namespace) throws IOException {
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: "%s"
            extensions:
            - name: cluster_info
              extension:
                last-update: Mon, 30 Nov 2026 03:00:00 UTC
                provider: minikube.sigs.k8s.io
                version: v1.34.0
        users: [{name: mock, user: {token: mock}}]
        contexts:
        - name: mock
          context:
            cluster: mock
            user: mock
            namespace: %s
            extensions:
            - name: context_info
              extension: {apiVersion: v1, kind: ConfigMap, metadata: {name: note}}
        - {name: elsewhere, context: {cluster: mock, user: mock, namespace: nowhere}}
        current-context: mock
        """
            .formatted(server, namespace));
    return file;
  }
}
