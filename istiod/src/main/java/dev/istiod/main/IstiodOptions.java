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
 * @param kubeconfig the cluster to use ({@code --kubeconfig} or {@code KUBECONFIG}); null for none
 * @param inCluster true when running in a Pod ({@code KUBERNETES_SERVICE_HOST} set) and no
 *     kubeconfig was given: use the Pod's service account
 */
record IstiodOptions(
    InetSocketAddress grpcAddr,
    InetSocketAddress secureGrpcAddr,
    String tlsMinVersion,
    java.util.List<String> tlsCipherSuites,
    InetSocketAddress httpAddr,
    InetSocketAddress httpsAddr,
    InetSocketAddress monitoringAddr,
    Path configDir,
    Path meshConfigFile,
    String domainSuffix,
    Duration keepaliveMaxServerConnectionAge,
    String clusterId,
    Path kubeconfig,
    boolean inCluster,
    Features features) {

  IstiodOptions {
    Objects.requireNonNull(meshConfigFile, "meshConfigFile");
    Objects.requireNonNull(domainSuffix, "domainSuffix");
    Objects.requireNonNull(features, "features");
    tlsCipherSuites = tlsCipherSuites == null ? java.util.List.of() : java.util.List.copyOf(tlsCipherSuites);
  }
}
