package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.contract.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Flag validation of {@code kretctl serve}, before any model is touched. */
class ServeCommandTest {

  static String run(int expectedExit, String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ServeCommand());
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute(args)).as(err.toString()).isEqualTo(expectedExit);
    return err.toString();
  }

  @Test
  void aHugeTimeoutIsAUsageErrorNamingTheFlag() {
    for (String flag :
        new String[] {
          "--queue-timeout-seconds",
          "--header-timeout-seconds",
          "--body-timeout-seconds",
          "--idle-timeout-seconds",
          "--shutdown-delay-seconds",
          "--drain-seconds"
        }) {
      String err = run(ExitCodes.USAGE, "--model", "/nonexistent", flag, "9999999999999");
      assertThat(err).contains(flag).doesNotContain("Exception").doesNotContain("\tat ");
    }
    String err = run(ExitCodes.USAGE, "--model", "/nonexistent", "--max-wait-ms", "-1");
    assertThat(err).contains("--max-wait-ms");
  }
}
