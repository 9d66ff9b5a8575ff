package dev.kret;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The packaged application ({@code mvn package}) as the integration tests start it. */
public final class PackagedApp {

  public static final Path APP = Path.of("target/quarkus-app");
  public static final Path JAR = APP.resolve("quarkus-run.jar");

  private PackagedApp() {}

  /**
   * A process of the packaged app with the environment the tests give it: DJL telemetry off, no
   * {@code KRET_JAVA_OPTS} from the caller, and this JDK's {@code java} first on the PATH (the
   * {@code kretctl} script calls {@code java}).
   */
  public static ProcessBuilder process(List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("OPT_OUT_TRACKING", "true");
    pb.environment().put("DJL_OFFLINE", "true");
    pb.environment().remove("KRET_JAVA_OPTS");
    pb.environment()
        .put(
            "PATH",
            Path.of(System.getProperty("java.home"), "bin")
                + File.pathSeparator
                + System.getenv("PATH"));
    return pb;
  }

  /** {@code java JVM -jar quarkus-run.jar ARGS} with this JDK. */
  public static List<String> javaJar(List<String> jvm, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.add("-jar");
    cmd.add(JAR.toAbsolutePath().toString());
    cmd.addAll(args);
    return cmd;
  }
}
