package dev.kret.cli;

import dev.kret.contract.ExitCodes;
import dev.kret.hub.ContentMismatchException;
import dev.kret.hub.Hub;
import dev.kret.hub.HubConfig;
import dev.kret.hub.HubException;
import dev.kret.hub.KlueReFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kretctl data}: the official data sets runs can name. */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = "Download and check the official KLUE-RE files that runs name as klue-re:v1.1/….",
    subcommands = {DataCommand.Fetch.class})
public class DataCommand {

  /** {@code kretctl data fetch [NAME…]}: download into the cache, check, print the paths. */
  @Command(
      name = "fetch",
      mixinStandardHelpOptions = true,
      description = {
        "Download the official KLUE-RE v1.1 files into the cache (~/.cache/kret/hub,",
        "$KRET_CACHE), check each against its git blob id in the KLUE repository, and",
        "print their paths, one per line. Files already cached are checked, not fetched.",
        "Source: $KRET_KLUE_RE_BASE_URL, else the KLUE repository on GitHub."
      })
  public static class Fetch implements Callable<Integer> {

    @Spec CommandSpec command;

    @Parameters(
        paramLabel = "NAME",
        arity = "0..*",
        description =
            "klue-re:v1.1 (both files, the default), klue-re:v1.1/train or klue-re:v1.1/dev.")
    List<String> names = new ArrayList<>();

    @Mixin VerboseOption verbosity;

    /** Where KRET_CACHE and KRET_KLUE_RE_BASE_URL are read from (a map in tests). */
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() {
      PrintWriter out = command.commandLine().getOut();
      PrintWriter err = command.commandLine().getErr();
      Set<KlueReFile> files = new LinkedHashSet<>();
      try {
        for (String name : names.isEmpty() ? List.of(KlueReFile.RELEASE) : names) {
          files.addAll(KlueReFile.resolve(name));
        }
      } catch (HubException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.USAGE;
      }
      Hub hub = new Hub(HubConfig.fromEnvironment(env));
      err.println("source: " + hub.config().klueReBaseUrl());
      try {
        for (KlueReFile f : files) {
          // fetchKlueRe returns only a file whose git blob id it has just checked.
          Path path = hub.fetchKlueRe(f);
          err.println(f.alias() + ": git blob id " + f.blobId() + " matches the official file");
          out.println(path.toAbsolutePath());
          out.flush();
        }
        return ExitCodes.OK;
      } catch (ContentMismatchException e) {
        err.println("error: " + e.getMessage());
        verbosity.trace(err, e);
        return ExitCodes.INVALID_CONFIG;
      } catch (HubException e) {
        err.println("error: " + e.getMessage());
        verbosity.trace(err, e);
        return ExitCodes.FAILED;
      }
    }
  }
}
