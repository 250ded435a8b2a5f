package dev.istiod.main;

import picocli.CommandLine.Command;

@Command(name = "version", description = "Prints out build version information")
final class VersionCommand implements Runnable {
  @Override
  public void run() {
    System.out.println("version.BuildInfo{Version:\"" + Version.current() + "\", Implementation:\"istiod-java\"}");
  }
}
