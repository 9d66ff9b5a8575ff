package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command, nested ones included, answers {@code --help} like kubectl does. */
class HelpTest {

  @Test
  void everyCommandPrintsItsUsageForHelp() {
    List<List<String>> paths = new ArrayList<>();
    collect(new CommandLine(new KretCtl()), new ArrayList<>(), paths);
    assertThat(paths).hasSizeGreaterThan(14);
    for (List<String> path : paths) {
      CommandLine cli = new CommandLine(new KretCtl());
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(err));
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      int code = cli.execute(args.toArray(String[]::new));
      String what = String.join(" ", args);
      assertThat(code).as(what + ": " + err).isZero();
      assertThat(out.toString()).as(what).startsWith("Usage: kretctl " + String.join(" ", path));
      // A description given as several lines: each fits the 80-column usage width (picocli
      // wraps a longer one, leaving a word or two alone on a line).
      List<String> lines = descriptions(cli, path);
      if (lines.size() > 1) {
        for (String line : lines) {
          assertThat(line.length()).as(what + ": " + line).isLessThanOrEqualTo(80);
        }
      }
    }
  }

  private static List<String> descriptions(CommandLine root, List<String> path) {
    CommandLine c = root;
    for (String p : path) {
      c = c.getSubcommands().get(p);
    }
    return List.of(c.getCommandSpec().usageMessage().description());
  }

  private static void collect(CommandLine c, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    for (var e : c.getSubcommands().entrySet()) {
      List<String> sub = new ArrayList<>(path);
      sub.add(e.getKey());
      collect(e.getValue(), sub, out);
    }
  }
}
