package dev.istiod.main;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point, shaped like upstream's {@code pilot-discovery}: {@code istiod discovery [flags]}
 * runs the daemon, {@code istiod version} prints the version.
 */
@Command(
    name = "istiod",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Istio control plane (Pilot, Citadel, Galley) in one JVM.",
    subcommands = {DiscoveryCommand.class, VersionCommand.class})
public final class Main implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    int code = new CommandLine(new Main())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }
}
