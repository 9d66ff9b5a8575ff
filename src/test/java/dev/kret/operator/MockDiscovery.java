package dev.kret.operator;

import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.util.function.Consumer;

/**
 * Discovery documents the fabric8 mock does not serve but kubectl needs before any request, so the
 * real kubectl can drive the operator under test (use {@code apply --validate=false}).
 */
public class MockDiscovery implements Consumer<KubernetesServer> {
  static final String API_VERSIONS =
      """
      {"kind":"APIVersions","versions":["v1"],
       "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}""";

  static final String GROUPS =
      """
      {"kind":"APIGroupList","apiVersion":"v1","groups":[
        %s, %s, %s, %s]}"""
          .formatted(
              group("kret.dev", "v1alpha1"),
              group("batch", "v1"),
              group("apps", "v1"),
              group("rbac.authorization.k8s.io", "v1"));

  static final String CORE =
      """
      {"kind":"APIResourceList","groupVersion":"v1","resources":[
        %s, %s, %s, %s, %s, %s, %s]}"""
          .formatted(
              resource("configmaps", "ConfigMap", "cm", ""),
              resource("pods", "Pod", "po", "\"all\""),
              resource("events", "Event", "ev", ""),
              resource("services", "Service", "svc", "\"all\""),
              resource("serviceaccounts", "ServiceAccount", "sa", ""),
              resource("persistentvolumeclaims", "PersistentVolumeClaim", "pvc", ""),
              "{\"name\":\"namespaces\",\"singularName\":\"namespace\",\"namespaced\":false,"
                  + "\"kind\":\"Namespace\",\"shortNames\":[\"ns\"],"
                  + "\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}");

  static final String KRET =
      """
      {"kind":"APIResourceList","groupVersion":"kret.dev/v1alpha1","resources":[
        %s,
        {"name":"finetuneruns/status","singularName":"","namespaced":true,"kind":"FineTuneRun",
         "verbs":["get","patch","update"]}]}"""
          .formatted(resource("finetuneruns", "FineTuneRun", "ftr", "\"all\",\"kret\""));

  static final String BATCH =
      """
      {"kind":"APIResourceList","groupVersion":"batch/v1","resources":[%s]}"""
          .formatted(resource("jobs", "Job", "", "\"all\""));

  static final String APPS =
      """
      {"kind":"APIResourceList","groupVersion":"apps/v1","resources":[%s]}"""
          .formatted(resource("deployments", "Deployment", "deploy", "\"all\""));

  static final String RBAC =
      """
      {"kind":"APIResourceList","groupVersion":"rbac.authorization.k8s.io/v1","resources":[%s, %s]}"""
          .formatted(
              resource("roles", "Role", "", ""), resource("rolebindings", "RoleBinding", "", ""));

  static String group(String name, String version) {
    String gv = name + "/" + version;
    return """
        {"name":"%s","versions":[{"groupVersion":"%s","version":"%s"}],
         "preferredVersion":{"groupVersion":"%s","version":"%s"}}"""
        .formatted(name, gv, version, gv, version);
  }

  static String resource(String plural, String kind, String shortName, String categories) {
    String singular = kind.toLowerCase(java.util.Locale.ROOT);
    return """
        {"name":"%s","singularName":"%s","namespaced":true,"kind":"%s",
         "verbs":["create","delete","deletecollection","get","list","patch","update","watch"],
         "shortNames":[%s],"categories":[%s]}"""
        .formatted(
            plural, singular, kind, shortName.isEmpty() ? "" : "\"" + shortName + "\"", categories);
  }

  @Override
  public void accept(KubernetesServer server) {
    serve(server, "/api", API_VERSIONS);
    serve(server, "/apis", GROUPS);
    serve(server, "/api/v1", CORE);
    serve(server, "/apis/kret.dev/v1alpha1", KRET);
    serve(server, "/apis/batch/v1", BATCH);
    serve(server, "/apis/apps/v1", APPS);
    serve(server, "/apis/rbac.authorization.k8s.io/v1", RBAC);
  }

  private static void serve(KubernetesServer server, String path, String body) {
    server.expect().get().withPath(path).andReturn(200, body).always();
    server.expect().get().withPath(path + "?timeout=32s").andReturn(200, body).always();
  }
}
