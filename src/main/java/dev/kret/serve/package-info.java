/**
 * The prediction endpoint: {@code kretctl serve} answers KLUE-RE queries over KServe V1 and the
 * Open Inference Protocol (V2), micro-batching concurrent requests into one forward pass.
 *
 * <p>Decision: the HTTP server is a Vert.x {@code HttpServer} started programmatically by {@link
 * dev.kret.serve.PredictionServer} (Vert.x core is already on the class path through Quarkus), not
 * Quarkus HTTP. Quarkus's HTTP server is configured partly at build time and {@code
 * quarkus.http.host-enabled=false} keeps every other CLI call from binding a port; switching it on
 * for one picocli subcommand would mean restarting Quarkus with a different profile. The server
 * binds only when {@code serve} runs and starts on port 0 in plain JUnit tests. It replaced the
 * JDK's {@code com.sun.net.httpserver}, whose handler threads read request headers: 64 connections
 * that sent one byte and stalled held all of them, and the kubelet's probes failed. Accept and
 * parsing are non-blocking; header, body and idle timeouts close stalled connections; prediction
 * bodies are validated and encoded on a small pool and answered when the {@link
 * dev.kret.serve.MicroBatcher} completes them, so no thread waits for the model, and the batcher's
 * bounded queue (not a thread count) bounds the work admitted.
 *
 * <p>A role: imports {@code contract}, {@code api} and the libraries ({@code model}, {@code text},
 * {@code data}, {@code metrics}, {@code hub}); never {@code train}, {@code operator} or {@code
 * cli}. Its picocli commands ({@code serve}, {@code bench serve}) live in {@code cli}.
 */
package dev.kret.serve;
