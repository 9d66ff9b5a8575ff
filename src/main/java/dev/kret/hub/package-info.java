/**
 * Fetching models and data by URI into a local cache.
 *
 * <p>Decisions: {@code pvc://claim/path} maps to {@code pvcRoot/path} (the operator mounts the
 * claim at {@code pvcRoot}, default {@code /models}; the claim name only tells it which volume to
 * mount). Cache layout under {@code cacheDir} (default {@code ~/.cache/kret/hub}, env {@code
 * KRET_CACHE}): {@code hf/<endpoint host_port>/<org>/<name>/<revision>/<file>}, {@code
 * url/<host_port>/<path>/<file>} for model directories over http(s), {@code
 * files/<host_port>/<path>} for data files, {@code datasets/klue-re-v1.1/<file>} for the official
 * KLUE-RE files named {@code klue-re:v1.1/train} and {@code klue-re:v1.1/dev} (downloaded from
 * {@code KRET_KLUE_RE_BASE_URL}, default the KLUE repository on raw.githubusercontent.com, and
 * checked against their git blob ids before they are moved into place and on every later use; a
 * file that does not match is deleted and named in the error). A finished model download writes
 * {@code .kret-download.json}; with it present no request is made again (moving revisions such as
 * {@code main} are not re-checked: pin a commit, or delete the directory). Files are written to a
 * dot-prefixed {@code .part} file and moved into place atomically. Redirects are followed by hand
 * and the bearer token is sent only to the origin it was configured for (hubs redirect to CDNs with
 * signed URLs). The token never appears in messages, logs or {@link
 * dev.kret.hub.HubConfig#toString()}. Weights: {@code model.safetensors}, else the shards of {@code
 * model.safetensors.index.json}, else {@code pytorch_model.bin}; tokenizer: {@code tokenizer.json},
 * else {@code vocab.txt} (one of them is required); optional: {@code tokenizer_config.json}, {@code
 * special_tokens_map.json}, {@code kret.json}.
 */
package dev.kret.hub;
