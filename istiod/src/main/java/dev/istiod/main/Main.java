package dev.istiod.main;

import java.util.List;

/**
 * Entry point, shaped like upstream's {@code pilot-discovery}: {@code istiod discovery [flags]}
 * runs the daemon, {@code istiod version} prints the version. Bad usage exits with 2, a daemon that
 * cannot start with 1.
 */
public final class Main {
  private static final String USAGE = """
      Istio control plane (Pilot, Citadel, Galley) in one JVM.

      Usage:
        istiod [command]

      Available Commands:
        discovery   Start Istio proxy discovery service.
        version     Prints out build version information

      Flags:
        -h, --help      help for istiod
        -V, --version   print the version

      Use "istiod [command] --help" for more information about a command.
      """;

  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    // Pushes are sent from short-lived virtual threads: a pooled-buffer cache per thread (Netty's default for every
    // thread) was built, filled and thrown away with each push. Event-loop threads keep theirs. An explicit
    // -Dio.netty.allocator.useCacheForAllThreads wins.
    if (System.getProperty("io.netty.allocator.useCacheForAllThreads") == null) {
      System.setProperty("io.netty.allocator.useCacheForAllThreads", "false");
    }
    int code = run(List.of(args));
    if (code != 0) {
      System.exit(code);
    }
  }

  static int run(List<String> args) throws InterruptedException {
    String command = args.isEmpty() ? "" : args.getFirst();
    List<String> rest = args.isEmpty() ? List.of() : args.subList(1, args.size());
    switch (command) {
      case "", "-h", "--help", "help" -> {
        System.out.print(USAGE);
        return 0;
      }
      case "-V", "--version" -> {
        System.out.println("istiod-java " + Version.current());
        return 0;
      }
      case "version" -> {
        System.out.println("version.BuildInfo{Version:\"" + Version.current() + "\", Implementation:\"istiod-java\"}");
        return 0;
      }
      case "discovery" -> {
        Flags flags = DiscoveryCommand.flags(System.getenv());
        java.util.Map<String, String> values;
        try {
          values = flags.parse(rest);
        } catch (Flags.UsageException e) {
          System.err.println("Error: " + e.getMessage());
          System.err.println("Run 'istiod discovery --help' for usage.");
          return 2;
        }
        if (Boolean.parseBoolean(values.get("help"))) {
          System.out.print(flags.usage("istiod discovery", DiscoveryCommand.DESCRIPTION));
          return 0;
        }
        return new DiscoveryCommand(values).call();
      }
      default -> {
        System.err.println("Error: unknown command \"" + command + "\" for \"istiod\"");
        System.err.println("Run 'istiod --help' for usage.");
        return 2;
      }
    }
  }
}
