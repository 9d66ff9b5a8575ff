package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.WithDefault;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

  @Test
  void everyRequiredSettingHasADefault() {
    for (Method m : OperatorConfig.class.getDeclaredMethods()) {
      if (m.getReturnType() == Optional.class) {
        continue;
      }
      assertThat(m.getAnnotation(WithDefault.class)).as(m.getName()).isNotNull();
    }
  }

  @Test
  void durationDefaultsParseAsDocumented() {
    assertThat(
            Arrays.stream(OperatorConfig.class.getDeclaredMethods())
                .filter(m -> m.getReturnType() == Duration.class)
                .map(m -> m.getName() + "=" + parse(m)))
        .containsExactlyInAnyOrder(
            "pendingDeadline=PT5M",
            "summaryGrace=PT30S",
            "activeDeadline=PT72H",
            "ttlAfterFinished=PT168H",
            "terminationGracePeriod=PT2M");
  }

  @Test
  void testConfigMatchesTheDefaults() {
    TestConfig t = new TestConfig();
    assertThat(t.pendingDeadline()).isEqualTo(Duration.ofMinutes(5));
    assertThat(t.image()).isEqualTo(defaultOf("image"));
    assertThat(String.valueOf(t.backoffLimit())).isEqualTo(defaultOf("backoffLimit"));
  }

  static Duration parse(Method m) {
    return DurationConverter.parseDuration(m.getAnnotation(WithDefault.class).value());
  }

  static String defaultOf(String method) {
    try {
      return OperatorConfig.class.getMethod(method).getAnnotation(WithDefault.class).value();
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }
}
