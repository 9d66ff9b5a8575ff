package dev.kret.api.v1alpha1;

import io.fabric8.generator.annotation.Default;
import java.lang.reflect.RecordComponent;

/**
 * The spec's defaults have one source, the {@code @Default} annotations the CRD is generated from:
 * {@link #fill} sets each unset field that carries one to its value, so what the API server fills
 * in and what {@code withDefaults()} fills in cannot drift apart.
 */
final class SpecDefaults {
  private SpecDefaults() {}

  /** A copy of {@code spec} with every null component that has a {@code @Default} set to it. */
  static <R extends Record> R fill(R spec) {
    Class<?> type = spec.getClass();
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    try {
      for (int i = 0; i < components.length; i++) {
        RecordComponent c = components[i];
        types[i] = c.getType();
        Object v = c.getAccessor().invoke(spec);
        values[i] = v != null ? v : defaultOf(type, c.getName());
      }
      @SuppressWarnings("unchecked")
      R filled = (R) type.getDeclaredConstructor(types).newInstance(values);
      return filled;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot fill the defaults of " + type.getSimpleName(), e);
    }
  }

  /** The {@code @Default} of a spec's component, as its type; null when it has none. */
  static Object defaultOf(Class<?> spec, String component) {
    Default d;
    Class<?> type;
    try {
      var field = spec.getDeclaredField(component);
      d = field.getAnnotation(Default.class);
      type = field.getType();
    } catch (NoSuchFieldException e) {
      throw new IllegalArgumentException(spec.getSimpleName() + " has no " + component, e);
    }
    if (d == null) {
      return null;
    }
    String s = d.value();
    if (type == String.class) {
      return s;
    } else if (type == Integer.class) {
      return Integer.valueOf(s);
    } else if (type == Long.class) {
      return Long.valueOf(s);
    } else if (type == Double.class) {
      return Double.valueOf(s);
    } else if (type == Boolean.class) {
      return Boolean.valueOf(s);
    }
    throw new IllegalStateException(
        spec.getSimpleName() + "." + component + ": no default of type " + type.getSimpleName());
  }
}
