package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.HandlerInstantiator;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

/**
 * The process-wide change stays out of every process but {@link ClusterMain}'s: the Quarkus
 * application (operator, trainer, the CLI through {@code java -jar}) and this test JVM keep
 * fabric8's mapper as it is. That {@link ClusterMain} does switch it is checked on the packaged
 * script ({@code PackagedCliIT}), in a JVM of its own.
 */
class KubeconfigParsingTest {

  @Test
  void readingAKubeconfigOutsideClusterMainLeavesFabric8sMapperAlone() {
    @SuppressWarnings("deprecation")
    ObjectMapper mapper = Serialization.jsonMapper();
    HandlerInstantiator before = mapper.getDeserializationConfig().getHandlerInstantiator();

    KubeconfigParsing.beforeReading();

    assertThat(mapper.getDeserializationConfig().getHandlerInstantiator()).isSameAs(before);
  }
}
