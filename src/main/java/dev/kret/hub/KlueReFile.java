package dev.kret.hub;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The official KLUE-RE v1.1 files by name ({@code klue-re:v1.1/train}, {@code klue-re:v1.1/dev}),
 * each pinned by its git blob id in the KLUE repository, so a download can be checked without any
 * other pin. The blob id is what {@code git hash-object} prints: {@code sha1("blob " + size + "\0"
 * + bytes)}.
 */
public enum KlueReFile {
  TRAIN("train", "klue-re-v1.1_train.json", "83b1fd41b1ea65dc29cd5bcfe1721bcdb25bd4d6"),
  DEV("dev", "klue-re-v1.1_dev.json", "f3e013f47e0a5a5d234410f8cdaa1eb8d89ccce3");

  /** What every alias starts with. */
  public static final String SCHEME = "klue-re:";

  /** The release; {@code klue-re:v1.1} names both files. */
  public static final String RELEASE = SCHEME + "v1.1";

  /** The official files in the KLUE repository (override: {@code KRET_KLUE_RE_BASE_URL}). */
  public static final String DEFAULT_BASE_URL =
      "https://raw.githubusercontent.com/KLUE-benchmark/KLUE/main/klue_benchmark/klue-re-v1.1/";

  private final String split;
  private final String fileName;
  private final String blobId;

  KlueReFile(String split, String fileName, String blobId) {
    this.split = split;
    this.fileName = fileName;
    this.blobId = blobId;
  }

  /** {@code klue-re:v1.1/train} or {@code klue-re:v1.1/dev}. */
  public String alias() {
    return RELEASE + "/" + split;
  }

  /** The file's name in the KLUE repository (and in the cache). */
  public String fileName() {
    return fileName;
  }

  /** The git blob id of the official file. */
  public String blobId() {
    return blobId;
  }

  /** Whether a data reference is meant as one of these aliases (known or not). */
  public static boolean isAlias(String ref) {
    return ref != null && ref.strip().toLowerCase(Locale.ROOT).startsWith(SCHEME);
  }

  /**
   * The files a name stands for: {@code klue-re:v1.1} both, {@code klue-re:v1.1/train} or {@code
   * klue-re:v1.1/dev} one.
   *
   * @throws HubException for any other name, listing the known ones
   */
  public static List<KlueReFile> resolve(String name) {
    String n = name == null ? "" : name.strip();
    if (n.equals(RELEASE) || n.equals(RELEASE + "/")) {
      return List.of(values());
    }
    for (KlueReFile f : values()) {
      if (f.alias().equals(n)) {
        return List.of(f);
      }
    }
    throw new HubException(
        "unknown KLUE-RE data set "
            + n
            + ": use "
            + RELEASE
            + " (both files) or "
            + Arrays.stream(values()).map(KlueReFile::alias).collect(Collectors.joining(" or ")));
  }

  /** The one file an alias names (a data URI names one file, not the release). */
  public static KlueReFile forAlias(String alias) {
    List<KlueReFile> files = resolve(alias);
    if (files.size() != 1) {
      throw new HubException(
          alias
              + " names both KLUE-RE files; a data URI names one: "
              + TRAIN.alias()
              + " or "
              + DEV.alias());
    }
    return files.get(0);
  }
}
