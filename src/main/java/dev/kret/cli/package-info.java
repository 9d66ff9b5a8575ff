/**
 * Every picocli command of {@code kretctl} ({@link dev.kret.cli.KretCtl} and its subcommands, the
 * operator's and the endpoint's included), the plain entry point of the short-lived cluster
 * commands ({@link dev.kret.cli.ClusterMain}), and what the commands share: cluster options and API
 * errors turned into exit codes, strict reading of run files, the rendering of {@code status}.
 *
 * <p>The top layer: may import every other package; nothing imports it.
 */
package dev.kret.cli;
