package dev.kret;

import java.nio.file.Path;

/**
 * The workplace's shared test data ({@code ../shared}, or {@code -Dkret.shared.dir} as surefire
 * sets it): KLUE-RE, the klue/roberta-base vocabulary and fixtures computed independently of kret.
 */
public final class SharedData {

  public static final Path DIR = Path.of(System.getProperty("kret.shared.dir", "../shared"));

  /** A tiny RoBERTa in Hugging Face naming, both weight formats, with golden logits. */
  public static final Path TINY_ROBERTA = DIR.resolve("fixtures/tiny-roberta-klue-re");

  private SharedData() {}
}
