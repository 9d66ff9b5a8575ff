package dev.kret.cli;

import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.cfg.HandlerInstantiator;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.jsontype.TypeIdResolver;
import com.fasterxml.jackson.databind.jsontype.TypeResolverBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;

/**
 * Makes fabric8's kubeconfig parsing skip its scan of every Kubernetes model class.
 *
 * <p>fabric8 reads kubeconfig files with its process-wide {@link Serialization} mapper. The
 * kubeconfig model's {@code extensions} entries are typed as any Kubernetes resource, so building
 * the reader creates a {@link KubernetesDeserializer} that first goes through every class
 * registered as a Kubernetes resource, in every API group, to map kinds to classes: 500 more
 * classes loaded and 50 ms of a 700 ms {@code kretctl status} call (docs/cli.md, "Startup time").
 * Nothing reads those extensions. After {@link #beforeReading()} the mapper creates deserializers
 * that know only the kinds registered explicitly; an extension is then read as a generic resource.
 * Everything else fabric8 does with the kubeconfig (contexts, certificates relative to each file,
 * exec plugins, tokens) is unchanged.
 *
 * <p>Only when {@link ClusterMain} asked for it ({@link #skipModelScan()}): it changes state shared
 * by the whole process, and the Quarkus application (the operator, the trainer, the tests) may read
 * resources through that mapper. It is applied just before the first kubeconfig is read, so that
 * {@code --help} and {@code --version} do not pay for fabric8's mapper.
 */
final class KubeconfigParsing {

  private static boolean wanted;

  private KubeconfigParsing() {}

  /** Called by {@link ClusterMain}: read kubeconfigs without the scan in this process. */
  static synchronized void skipModelScan() {
    wanted = true;
  }

  /** Called before fabric8 reads a kubeconfig; does something only after {@link #skipModelScan}. */
  static synchronized void beforeReading() {
    if (!wanted) {
      return;
    }
    @SuppressWarnings("deprecation") // the process-wide mapper fabric8 parses kubeconfigs with
    ObjectMapper mapper = Serialization.jsonMapper();
    DeserializationConfig config = mapper.getDeserializationConfig();
    if (!(config.getHandlerInstantiator() instanceof NoScan)) {
      mapper.setConfig(config.with(new NoScan(config.getHandlerInstantiator())));
    }
  }

  /** fabric8's instantiator, except that its deserializers do not scan the class path. */
  private static final class NoScan extends HandlerInstantiator {
    private final HandlerInstantiator next;

    NoScan(HandlerInstantiator next) {
      this.next = next;
    }

    @Override
    public JsonDeserializer<?> deserializerInstance(
        DeserializationConfig config, Annotated annotated, Class<?> type) {
      if (type == KubernetesDeserializer.class) {
        return new KubernetesDeserializer(false);
      }
      return next == null ? null : next.deserializerInstance(config, annotated, type);
    }

    @Override
    public KeyDeserializer keyDeserializerInstance(
        DeserializationConfig config, Annotated annotated, Class<?> type) {
      return next == null ? null : next.keyDeserializerInstance(config, annotated, type);
    }

    @Override
    public JsonSerializer<?> serializerInstance(
        SerializationConfig config, Annotated annotated, Class<?> type) {
      return next == null ? null : next.serializerInstance(config, annotated, type);
    }

    @Override
    public TypeResolverBuilder<?> typeResolverBuilderInstance(
        MapperConfig<?> config, Annotated annotated, Class<?> type) {
      return next == null ? null : next.typeResolverBuilderInstance(config, annotated, type);
    }

    @Override
    public TypeIdResolver typeIdResolverInstance(
        MapperConfig<?> config, Annotated annotated, Class<?> type) {
      return next == null ? null : next.typeIdResolverInstance(config, annotated, type);
    }
  }
}
