package dev.istiod.main;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the daemon is configured with, from flags and environment, read once in
 * {@link DiscoveryCommand} and passed down. Null addresses disable that server.
 *
 * @param configDir the embedded-default config directory, or null when unused
 * @param keepaliveMaxServerConnectionAge null for infinite
 */
record IstiodOptions(
    InetSocketAddress grpcAddr,
    InetSocketAddress httpAddr,
    InetSocketAddress monitoringAddr,
    Path configDir,
    Path meshConfigFile,
    String domainSuffix,
    Duration keepaliveMaxServerConnectionAge,
    String clusterId,
    Features features) {

  IstiodOptions {
    Objects.requireNonNull(meshConfigFile, "meshConfigFile");
    Objects.requireNonNull(domainSuffix, "domainSuffix");
    Objects.requireNonNull(features, "features");
  }
}
