package dev.portcheck.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports portcheck's version from the jar manifest (or "dev" when run from classes). */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Portcheck.class.getPackage().getImplementationVersion();
    return new String[] {"portcheck " + (v == null ? "0.1.0-SNAPSHOT" : v)};
  }
}
