/**
 * Checkpoint files without torch: safetensors (read and written), PyTorch's {@code
 * pytorch_model.bin} through a restricted unpickler, and the lookup of a model directory's weights
 * ({@link dev.kret.model.weights.WeightFiles}).
 *
 * <p>Part of the {@code model} library: imports nothing of kret outside {@code dev.kret.model}.
 */
package dev.kret.model.weights;
