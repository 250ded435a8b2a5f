package dev.istiod.main;

import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code istiod discovery}: the daemon. Flag names and defaults are upstream pilot-discovery's
 * so that Helm values and muscle memory carry over.
 */
@Command(name = "discovery", mixinStandardHelpOptions = true,
    description = "Start Istio proxy discovery service.")
final class DiscoveryCommand implements Callable<Integer> {

  @Option(names = "--grpcAddr", defaultValue = ":15010",
      description = "Discovery service gRPC address (plaintext xDS). Default: ${DEFAULT-VALUE}")
  String grpcAddr;

  @Option(names = "--secureGRPCAddr", defaultValue = ":15012",
      description = "Discovery service secured gRPC address (xDS and CA over mTLS). Default: ${DEFAULT-VALUE}")
  String secureGrpcAddr;

  @Option(names = "--tls-min-version", defaultValue = "1.2",
      description = "Minimum TLS version of the secure servers: 1.2 or 1.3. Default: ${DEFAULT-VALUE}")
  String tlsMinVersion;

  @Option(names = "--tls-cipher-suites", split = ",", defaultValue = "",
      description = "Comma-separated TLS 1.2 cipher suites of the secure servers. Default: the JDK's")
  java.util.List<String> tlsCipherSuites;

  @Option(names = "--httpAddr", defaultValue = ":8080",
      description = "Discovery service HTTP address (readiness and debug). Default: ${DEFAULT-VALUE}")
  String httpAddr;

  @Option(names = "--httpsAddr", defaultValue = ":15017",
      description = "Injection and validation webhook HTTPS address. Default: ${DEFAULT-VALUE}")
  String httpsAddr;

  @Option(names = "--monitoringAddr", defaultValue = ":15014",
      description = "HTTP address for metrics and debug. Default: ${DEFAULT-VALUE}")
  String monitoringAddr;

  @Option(names = "--configDir", defaultValue = "",
      description = "Directory to watch for Istio configuration in YAML (the embedded default when no cluster is used).")
  String configDir;

  @Option(names = "--meshConfig", defaultValue = "./etc/istio/config/mesh",
      description = "File name for Istio mesh configuration. Missing file: built-in defaults. Default: ${DEFAULT-VALUE}")
  String meshConfig;

  @Option(names = "--domain", defaultValue = "cluster.local",
      description = "DNS domain suffix. Default: ${DEFAULT-VALUE}")
  String domain;

  @Option(names = "--keepaliveMaxServerConnectionAge", defaultValue = "",
      description = "Maximum duration a connection is kept open before the server closes it gracefully (Go duration). Default: infinite")
  String keepaliveMaxServerConnectionAge;

  @Option(names = "--kubeconfig", defaultValue = "",
      description = "Use a Kubernetes configuration file instead of in-cluster configuration.")
  String kubeconfig;

  // Upstream takes the default from CLUSTER_ID (the Helm chart sets it), and the flag overrides it.
  @Option(names = "--clusterID", defaultValue = "${env:CLUSTER_ID:-Kubernetes}",
      description = "The ID of the cluster that this instance resides. Default: CLUSTER_ID, else Kubernetes")
  String clusterId;

  // Upstream's scope:level list; without it the level is ISTIOD_LOG_LEVEL's (logback.xml), else INFO.
  @Option(names = "--log_output_level", defaultValue = "",
      description = "Comma-separated scope:level pairs (debug, info, warn, error, fatal, none), e.g. default:info,ads:debug")
  String logOutputLevel;

  @Option(names = "--log_as_json", hidden = true)
  boolean logAsJson;

  @Override
  public Integer call() throws Exception {
    IstiodOptions options;
    try {
      options = options();
      LogOutputLevels.parse(logOutputLevel).apply();
    } catch (IllegalArgumentException e) {
      System.err.println("Error: " + e.getMessage());
      return 2;
    }
    Istiod istiod;
    try {
      istiod = Istiod.start(options);
    } catch (Exception e) {
      // A clear one-line reason beats a stack trace for the usual causes (port in use, bad
      // mesh config, missing config directory); the trace is still logged at debug level.
      org.slf4j.LoggerFactory.getLogger("istiod").error("failed to start: {}", e.getMessage());
      org.slf4j.LoggerFactory.getLogger("istiod").debug("start-up failure", e);
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(istiod::close, "istiod-shutdown"));
    istiod.awaitTermination();
    return 0;
  }

  private IstiodOptions options() {
    return new IstiodOptions(
        Addresses.parse("--grpcAddr", grpcAddr),
        Addresses.parse("--secureGRPCAddr", secureGrpcAddr),
        tlsMinVersion,
        tlsCipherSuites.stream().filter(c -> !c.isBlank()).toList(),
        Addresses.parse("--httpAddr", httpAddr),
        Addresses.parse("--httpsAddr", httpsAddr),
        Addresses.parse("--monitoringAddr", monitoringAddr),
        configDir.isBlank() ? null : java.nio.file.Path.of(configDir),
        java.nio.file.Path.of(meshConfig),
        domain,
        keepaliveMaxServerConnectionAge.isBlank() ? null
            : parseDuration("--keepaliveMaxServerConnectionAge", keepaliveMaxServerConnectionAge),
        clusterId,
        kubeconfigPath(),
        System.getenv("KUBERNETES_SERVICE_HOST") != null && !System.getenv("KUBERNETES_SERVICE_HOST").isEmpty(),
        Features.fromEnvironment(System.getenv()));
  }

  /** {@code --kubeconfig}, else the first file of {@code KUBECONFIG}, else none. */
  private java.nio.file.Path kubeconfigPath() {
    if (!kubeconfig.isBlank()) {
      return java.nio.file.Path.of(kubeconfig);
    }
    String env = System.getenv("KUBECONFIG");
    if (env == null || env.isBlank()) {
      return null;
    }
    return java.nio.file.Path.of(env.split(java.io.File.pathSeparator)[0]);
  }

  private static Duration parseDuration(String flag, String value) {
    try {
      return dev.istiod.model.GoDuration.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid value for " + flag + ": " + e.getMessage(), e);
    }
  }
}
