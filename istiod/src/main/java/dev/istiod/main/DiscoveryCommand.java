package dev.istiod.main;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code istiod discovery}: the daemon. Flag names and defaults are upstream pilot-discovery's
 * so that Helm values and muscle memory carry over.
 */
final class DiscoveryCommand {
  static final String DESCRIPTION = "Start Istio proxy discovery service.";

  static Flags flags(Map<String, String> env) {
    return new Flags()
        .add("grpcAddr", ":15010", "Discovery service gRPC address (plaintext xDS)")
        .add("secureGRPCAddr", ":15012", "Discovery service secured gRPC address (xDS and CA over mTLS)")
        .add("tls-min-version", "1.2", "Minimum TLS version of the secure servers: 1.2 or 1.3")
        .add("tls-cipher-suites", "", "Comma-separated TLS 1.2 cipher suites of the secure servers. Default: the JDK's")
        .add("httpAddr", ":8080", "Discovery service HTTP address (readiness and debug)")
        .add("httpsAddr", ":15017", "Injection and validation webhook HTTPS address")
        .add("monitoringAddr", ":15014", "HTTP address for metrics and debug")
        .add("configDir", "",
            "Directory to watch for Istio configuration in YAML (the embedded default when no cluster is used)")
        .add("meshConfig", "./etc/istio/config/mesh",
            "File name for Istio mesh configuration. Missing file: built-in defaults")
        .add("domain", "cluster.local", "DNS domain suffix")
        .add("keepaliveMaxServerConnectionAge", "",
            "Maximum duration a connection is kept open before the server closes it gracefully (Go duration). "
                + "Default: infinite")
        .add("kubeconfig", "", "Use a Kubernetes configuration file instead of in-cluster configuration")
        // Upstream takes the default from CLUSTER_ID (the Helm chart sets it), and the flag overrides it.
        .add("clusterID", env.getOrDefault("CLUSTER_ID", "").isEmpty() ? "Kubernetes" : env.get("CLUSTER_ID"),
            "The ID of the cluster that this instance resides (default: CLUSTER_ID, else Kubernetes)")
        // Upstream's scope:level list; without it the level is ISTIOD_LOG_LEVEL (LogConfigurator), else INFO.
        .add("log_output_level", "",
            "Comma-separated scope:level pairs (debug, info, warn, error, fatal, none), e.g. default:info,ads:debug")
        .addBoolean("log_as_json", "Log as JSON (accepted for upstream's chart; logs stay text)", true);
  }

  private final Map<String, String> flags;

  /** @param flags every flag's value, from {@link #flags}{@code .parse(...)} */
  DiscoveryCommand(Map<String, String> flags) {
    this.flags = Map.copyOf(flags);
  }

  /** Runs the daemon until it is stopped; the process's exit code. */
  int call() throws InterruptedException {
    IstiodOptions options;
    try {
      options = options();
      LogOutputLevels.parse(flags.get("log_output_level")).apply();
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
    return istiod.failed() ? 1 : 0;
  }

  private IstiodOptions options() {
    String configDir = flags.get("configDir");
    String maxConnectionAge = flags.get("keepaliveMaxServerConnectionAge");
    return new IstiodOptions(
        Addresses.parse("--grpcAddr", flags.get("grpcAddr")),
        Addresses.parse("--secureGRPCAddr", flags.get("secureGRPCAddr")),
        flags.get("tls-min-version"),
        List.of(flags.get("tls-cipher-suites").split(",")).stream().map(String::strip).filter(c -> !c.isEmpty())
            .toList(),
        Addresses.parse("--httpAddr", flags.get("httpAddr")),
        Addresses.parse("--httpsAddr", flags.get("httpsAddr")),
        Addresses.parse("--monitoringAddr", flags.get("monitoringAddr")),
        configDir.isBlank() ? null : java.nio.file.Path.of(configDir),
        java.nio.file.Path.of(flags.get("meshConfig")),
        flags.get("domain"),
        maxConnectionAge.isBlank() ? null : parseDuration("--keepaliveMaxServerConnectionAge", maxConnectionAge),
        flags.get("clusterID"),
        kubeconfigPath(),
        System.getenv("KUBERNETES_SERVICE_HOST") != null && !System.getenv("KUBERNETES_SERVICE_HOST").isEmpty(),
        Features.fromEnvironment(System.getenv()));
  }

  /** {@code --kubeconfig}, else the first file of {@code KUBECONFIG}, else none. */
  private java.nio.file.Path kubeconfigPath() {
    String kubeconfig = flags.get("kubeconfig");
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
