package dev.istiod.main;

import picocli.CommandLine.IVersionProvider;

/** The build's version, from the jar manifest when packaged. */
final class Version implements IVersionProvider {
  static String current() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }

  @Override
  public String[] getVersion() {
    return new String[] {"istiod-java " + current()};
  }
}
