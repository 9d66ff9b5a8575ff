/**
 * The prediction endpoint: {@code kretctl serve} answers KLUE-RE queries over KServe V1 and the
 * Open Inference Protocol (V2), micro-batching concurrent requests into one forward pass.
 *
 * <p>Decision: the HTTP server is the JDK's {@code com.sun.net.httpserver.HttpServer}, started by
 * {@link dev.kret.serve.ServeCommand}, not Quarkus HTTP. Quarkus's HTTP server is configured partly
 * at build time and {@code quarkus.http.host-enabled=false} keeps every other CLI call from binding
 * a port; switching it on for one picocli subcommand would mean restarting Quarkus with a different
 * profile. The JDK server needs no extra dependency, binds only when {@code serve} runs, is easy to
 * start on port 0 from plain JUnit tests, and its {@code stop(delay)} drains in-flight exchanges,
 * which is what graceful shutdown needs. Request handling is blocking: each exchange waits for its
 * instances' results from the {@link dev.kret.serve.MicroBatcher}, so the handler pool bounds
 * concurrency and the batcher's workers bound native memory.
 */
package dev.kret.serve;
