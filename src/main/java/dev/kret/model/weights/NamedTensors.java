package dev.kret.model.weights;

import java.util.Collection;
import java.util.List;

/** Parameters that a checkpoint saves and restores as named float32 tensors. */
public interface NamedTensors {

  /** All parameters as float32 host tensors. */
  List<TensorData> toTensors();

  /** Overwrites parameter values in place (resume); every name must exist with its shape. */
  void assign(Collection<TensorData> tensors);
}
