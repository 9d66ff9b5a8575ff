/**
 * Fetching models and data by URI into a local cache: {@link dev.kret.hub.Hub} resolves a reference
 * with three parts, reference parsing ({@code References}), the downloader ({@code Downloader}) and
 * the cache layout ({@code CacheLayout}).
 *
 * <p>Decisions: {@code pvc://claim/path} maps to {@code pvcRoot/path} (the operator mounts the
 * claim at {@code pvcRoot}, default {@code /models}; the claim name only tells it which volume to
 * mount). Cache layout under {@code cacheDir} (default {@code ~/.cache/kret/hub}, env {@code
 * KRET_CACHE}): {@code hf/<endpoint scheme>/<endpoint host_port>/<org>/<name>/<revision>/<file>},
 * {@code url/<scheme>/<host_port>/<path>/<file>} for model directories over http(s), {@code
 * files/<scheme>/<host_port>/<path>[_q<digest of the query>]} for data files (the scheme keeps
 * {@code http://h/x} and {@code https://h/x} apart; entries of the layout without it, from before,
 * are not read again: they are downloaded once more, and the old {@code hf/<host>}, {@code
 * url/<host>}, {@code files/<host>} directories can be deleted), {@code
 * datasets/klue-re-v1.1/<file>} for the official KLUE-RE files named {@code klue-re:v1.1/train} and
 * {@code klue-re:v1.1/dev} (downloaded from {@code KRET_KLUE_RE_BASE_URL}, default the KLUE
 * repository on raw.githubusercontent.com, and checked against their git blob ids before they are
 * moved into place and on every later use; a file that does not match is deleted and named in the
 * error). A finished model download writes {@code .kret-download.json}; with it present no request
 * is made again (moving revisions such as {@code main} are not re-checked: pin a commit, or delete
 * the directory). Files are written to a dot-prefixed {@code .part} file, synced to disk and
 * renamed into place atomically; a failed attempt deletes it. Limits: a file over {@code
 * KRET_HUB_MAX_BYTES} (default 10 GiB, per file) is refused, announced or streamed, and not
 * retried; a body that sends nothing for {@code KRET_HUB_READ_TIMEOUT} (default 60 s) fails the
 * attempt like a dropped connection (retried, then a retryable {@link dev.kret.hub.HubException}).
 * Integrity: when a response names the body's sha256 (Hugging Face's {@code X-Linked-Etag} on an
 * LFS file's redirect, or a strong 64-hex {@code ETag}), the bytes must hash to it; a mismatch is
 * retried once (a corrupted transfer), a second one is a {@link
 * dev.kret.hub.ContentMismatchException} (another file than the hub names). Redirects are followed
 * by hand and the bearer token is sent only to the origin it was configured for (hubs redirect to
 * CDNs with signed URLs). The token never appears in messages, logs or {@link
 * dev.kret.hub.HubConfig#toString()}. Weights: {@code model.safetensors}, else the shards of {@code
 * model.safetensors.index.json}, else {@code pytorch_model.bin}; tokenizer: {@code tokenizer.json},
 * else {@code vocab.txt} (one of them is required); optional: {@code tokenizer_config.json}, {@code
 * special_tokens_map.json}, {@code kret.json}.
 *
 * <p>A library below the roles: imports {@code api} at most, never {@code data}, {@code text},
 * {@code model}, {@code train}, {@code serve}, {@code operator} or {@code cli}.
 */
package dev.kret.hub;
