package dev.kret.cli;

import picocli.CommandLine.Option;

/** The size of a random RoBERTa for the benchmarks; defaults to roberta-base. */
public class ModelSizeOptions {

  @Option(names = "--layers", defaultValue = "12", description = "Transformer layers.")
  public int layers;

  @Option(names = "--hidden", defaultValue = "768", description = "Hidden size.")
  public int hidden;

  @Option(names = "--heads", defaultValue = "12", description = "Attention heads.")
  public int heads;
}
