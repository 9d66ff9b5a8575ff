package dev.kret.cli;

import picocli.CommandLine.Option;

/** How eval and predict read and batch their KLUE-RE input. */
public class DataOptions {

  @Option(names = "--batch-size", defaultValue = "64", description = "Examples per forward pass.")
  public int batchSize;

  @Option(names = "--skip-invalid", description = "Skip and count invalid rows.")
  public boolean skipInvalid;
}
