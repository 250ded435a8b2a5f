package dev.istiod.e2e.kube;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.e2e.Toolchain;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Istio's real {@code pilot-agent proxy sidecar} (from tools/istio/install.sh) running an upstream Envoy, as a
 * Pod's istio-proxy container would, inside a {@link TestHost} (its own network namespace: the agent's 15020, and
 * Envoy's 15000/15090/15021, are its own). The agent runs in a working directory of its own laid out like the
 * container's root, since it reads and writes relative paths:
 * <ul>
 *   <li>{@code ./var/run/secrets/tokens/istio-token}: the Kubernetes token it sends to istiod (CA and xDS);
 *   <li>{@code ./var/run/secrets/istio/root-cert.pem}: the root it verifies istiod's serving certificate with
 *       (in a Pod, the {@code istio-ca-root-cert} ConfigMap);
 *   <li>{@code ./var/lib/istio/envoy/envoy_bootstrap_tmpl.json}: Envoy's bootstrap template (the image's);
 *   <li>{@code ./etc/istio/proxy/}: what the agent writes (bootstrap, the XDS socket Envoy connects to);
 *   <li>{@code ./output-certs/}: {@code OUTPUT_CERTS}, where the agent writes the certificate istiod issued.
 * </ul>
 * istiod is reached at {@code discoveryAddress} (an IP:port; the agent checks istiod's certificate for the name
 * {@code istiod.istio-system.svc} through {@code ISTIOD_SAN}, and uses the same address for the CA). Traffic
 * capture is off ({@code ISTIO_META_INTERCEPTION_MODE=NONE}: no iptables), cloud-platform probing is off
 * ({@code CLOUD_PLATFORM=none}: no requests to metadata servers).
 *
 * <p>Upstream Envoy (1.40) runs under the agent as it is: it accepts every argument the agent passes
 * ({@code --skip-deprecated-logs} included, so {@code ENVOY_SKIP_DEPRECATED_LOGS} needs no change) and the
 * image's bootstrap template, whose only istio-proxy-only piece (the {@code istio.workload.BootstrapExtension}
 * "metadata_discovery") is rendered only with {@code PEER_METADATA_DISCOVERY=true} or
 * {@code ISTIO_META_ENABLE_HBONE=true}, both left unset here. Envoy's admin stays on the agent's default
 * 127.0.0.1:15000 inside the host, so it is read with curl run in the host ({@link #envoyAdmin}).
 */
public final class PilotAgentProcess implements AutoCloseable {
  static final Duration READY_BOUND = Duration.ofSeconds(90);
  static final Duration STOP_BOUND = Duration.ofSeconds(15);
  static final String ISTIOD_SAN = "istiod.istio-system.svc";
  static final int STATUS_PORT = 15020;
  static final int ADMIN_PORT = 15000;

  /** Who the proxy says it is: its Pod, namespace and service account (the SERVICE_ACCOUNT env). */
  public record Workload(String pod, String namespace, String serviceAccount) {
    /** {@code spiffe://cluster.local/ns/<namespace>/sa/<serviceAccount>}. */
    public String spiffeId() {
      return "spiffe://cluster.local/ns/" + namespace + "/sa/" + serviceAccount;
    }

    /** {@code <pod>.<namespace>}, the proxy id istiod's debug endpoints take. */
    public String proxyId() {
      return pod + "." + namespace;
    }
  }

  private final Workload workload;
  private final TestHost host;
  private final String ip;
  private final Path dir;
  private final Path log;
  private final Process process;
  private final Thread killOnExit;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();

  private PilotAgentProcess(Workload workload, TestHost host, String ip, Path dir, Path log, Process process) {
    this.workload = workload;
    this.host = host;
    this.ip = ip;
    this.dir = dir;
    this.log = log;
    this.process = process;
    this.killOnExit = new Thread(this::kill, "kill-pilot-agent-" + workload.pod());
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /**
   * Starts the agent of {@code workload} at {@code host}'s main address, with {@code token} as its
   * istio-token and {@code rootCertPem} as the root it trusts istiod by. Returns at once: whether it gets a
   * certificate and config is what the caller asserts ({@link #awaitReady()}, {@link #awaitIssuedChain()}).
   */
  public static PilotAgentProcess start(TestHost host, Workload workload, String discoveryAddress, String token,
      String rootCertPem, Path workDir) {
    return start(host, workload, discoveryAddress, token, rootCertPem, Map.of(), workDir);
  }

  /** Like the other start, with {@code extraEnv} over the agent's environment (e.g. SECRET_TTL). */
  public static PilotAgentProcess start(TestHost host, Workload workload, String discoveryAddress, String token,
      String rootCertPem, Map<String, String> extraEnv, Path workDir) {
    Path dir = workDir.resolve("agent-" + workload.pod()).toAbsolutePath();
    Path log = workDir.resolve("agent-" + workload.pod() + ".log").toAbsolutePath();
    String ip = host.address();
    try {
      layOut(dir, token, rootCertPem);
      List<String> command = List.of("ip", "netns", "exec", host.name(),
          PilotAgentTools.pilotAgent().toString(), "proxy", "sidecar",
          "--concurrency", "1", "--proxyLogLevel", "warning", "--proxyComponentLogLevel", "misc:error");
      ProcessBuilder builder = new ProcessBuilder(command)
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(environment(workload, ip, discoveryAddress));
      builder.environment().putAll(extraEnv);
      Process process = builder.start();
      process.getOutputStream().close();
      return new PilotAgentProcess(workload, host, ip, dir, log, process);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start pilot-agent for " + workload, e);
    }
  }

  /**
   * Starts pilot-agent inside {@code host} the way a container runtime starts a Pod's istio-proxy container, so
   * that nothing but the Pod spec decides how it runs: {@code args} (the container's, {@code $(VAR)}s expanded)
   * and exactly {@code env} (the container's, resolved as a kubelet would; see {@link Kubelet}), with
   * {@code rootDir} standing for the container's root filesystem as working directory (the agent's paths are
   * relative; the volume mounts must already be laid out there). What the image and the node would add is added
   * in a mount namespace of the agent's own, never on this machine: the image's {@code /usr/local/bin/pilot-agent}
   * and {@code /usr/local/bin/envoy} (where the agent looks for Envoy by default), its bootstrap template, and an
   * {@code /etc/hosts} with {@code hostAliases} (name to address, standing in for cluster DNS).
   */
  public static PilotAgentProcess startContainer(TestHost host, Workload workload, List<String> args,
      Map<String, String> env, Map<String, String> hostAliases, Path rootDir, Path log) {
    try {
      Path templates = Files.createDirectories(rootDir.resolve("var/lib/istio/envoy"));
      Files.copy(PilotAgentTools.bootstrapTemplate(), templates.resolve("envoy_bootstrap_tmpl.json"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      StringBuilder hosts = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost\n")
          .append(host.address()).append('\t').append(workload.pod()).append('\n');
      hostAliases.forEach((name, address) -> hosts.append(address).append('\t').append(name).append('\n'));
      Path hostsFile = rootDir.resolveSibling(rootDir.getFileName() + ".hosts");
      Files.writeString(hostsFile, hosts, StandardCharsets.UTF_8);
      List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", host.name(), "sh", "-c",
          "set -e; mount --bind \"$1\" /etc/hosts; mount -t tmpfs proxyv2-image /usr/local/bin; "
              + "ln -s \"$2\" /usr/local/bin/pilot-agent; ln -s \"$3\" /usr/local/bin/envoy; shift 3; "
              + "exec /usr/local/bin/pilot-agent \"$@\"",
          "istio-proxy", hostsFile.toString(), PilotAgentTools.pilotAgent().toString(),
          Toolchain.envoyBinary().toString()));
      command.addAll(args);
      ProcessBuilder builder = new ProcessBuilder(command)
          .directory(rootDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().clear();
      // The image's PATH; everything else comes from the Pod spec.
      builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
      builder.environment().putAll(env);
      Process process = builder.start();
      process.getOutputStream().close();
      return new PilotAgentProcess(workload, host, host.address(), rootDir, log, process);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start pilot-agent for " + workload, e);
    }
  }

  private static void layOut(Path dir, String token, String rootCertPem) throws IOException {
    Path tokens = Files.createDirectories(dir.resolve("var/run/secrets/tokens"));
    Files.writeString(tokens.resolve("istio-token"), token, StandardCharsets.UTF_8);
    Path roots = Files.createDirectories(dir.resolve("var/run/secrets/istio"));
    Files.writeString(roots.resolve("root-cert.pem"), rootCertPem, StandardCharsets.UTF_8);
    Path templates = Files.createDirectories(dir.resolve("var/lib/istio/envoy"));
    Files.copy(PilotAgentTools.bootstrapTemplate(), templates.resolve("envoy_bootstrap_tmpl.json"));
    Files.createDirectories(dir.resolve("etc/istio/proxy"));
    Files.createDirectories(dir.resolve("output-certs"));
  }

  /** The environment the sidecar injector would give istio-proxy, adapted to a process outside Kubernetes. */
  static Map<String, String> environment(Workload workload, String ip, String discoveryAddress) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("POD_NAME", workload.pod());
    env.put("POD_NAMESPACE", workload.namespace());
    env.put("INSTANCE_IP", ip);
    env.put("SERVICE_ACCOUNT", workload.serviceAccount());
    env.put("ISTIO_META_CLUSTER_ID", "Kubernetes");
    env.put("ISTIO_META_MESH_ID", "cluster.local");
    env.put("ISTIO_META_WORKLOAD_NAME", workload.pod());
    env.put("ISTIO_META_INTERCEPTION_MODE", "NONE");
    env.put("ISTIO_METAJSON_LABELS", "{\"app\":\"" + workload.serviceAccount() + "\"}");
    env.put("PROXY_CONFIG", proxyConfig(discoveryAddress));
    env.put("ISTIOD_SAN", ISTIOD_SAN);
    env.put("OUTPUT_CERTS", "./output-certs");
    env.put("CLOUD_PLATFORM", "none");
    env.put("TRUST_DOMAIN", "cluster.local");
    return env;
  }

  private static String proxyConfig(String discoveryAddress) {
    ObjectNode config = new ObjectMapper().createObjectNode()
        .put("discoveryAddress", discoveryAddress)
        .put("binaryPath", Toolchain.envoyBinary().toString())
        .put("concurrency", 1)
        .put("drainDuration", "1s")
        .put("terminationDrainDuration", "0s");
    return config.toString();
  }

  public Workload workload() {
    return workload;
  }

  /** The Pod IP the agent announces (the test host's main address). */
  public String ip() {
    return ip;
  }

  public Path dir() {
    return dir;
  }

  public Path logFile() {
    return log;
  }

  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<cannot read " + log + ": " + e + ">";
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** True when the agent's {@code /healthz/ready} answers 200: Envoy is live and got clusters and listeners. */
  public boolean ready() {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + STATUS_PORT + "/healthz/ready"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Waits until {@link #ready()}; fails early if the agent exits. */
  public void awaitReady() {
    await("pilot-agent of " + workload.proxyId() + " ready (log " + log + ")")
        .atMost(READY_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          assertAlive();
          return ready();
        });
  }

  /** Waits until the agent wrote the certificate chain istiod issued to {@code ./output-certs}; returns it. */
  public List<X509Certificate> awaitIssuedChain() {
    return await("certificate of " + workload.proxyId() + " in " + dir.resolve("output-certs") + " (log " + log + ")")
        .atMost(READY_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          assertAlive();
          return issuedChain();
        }, Optional::isPresent)
        .orElseThrow();
  }

  /** The chain (leaf first) in {@code ./output-certs/cert-chain.pem}, once the agent wrote it. */
  public Optional<List<X509Certificate>> issuedChain() {
    Path file = dir.resolve("output-certs/cert-chain.pem");
    try {
      if (!Files.isRegularFile(file) || Files.size(file) == 0) {
        return Optional.empty();
      }
      return Optional.of(parseChain(Files.readAllBytes(file)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The root the agent wrote beside the chain ({@code ./output-certs/root-cert.pem}). */
  public List<X509Certificate> issuedRoots() {
    try {
      return parseChain(Files.readAllBytes(dir.resolve("output-certs/root-cert.pem")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<X509Certificate> parseChain(byte[] pem) {
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> certificates = new ArrayList<>();
      factory.generateCertificates(new ByteArrayInputStream(pem))
          .forEach(c -> certificates.add((X509Certificate) c));
      return List.copyOf(certificates);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("not a PEM certificate chain", e);
    }
  }

  /** {@code GET 127.0.0.1:15000<pathAndQuery>} on Envoy's admin, from inside the host (it listens on loopback). */
  public String envoyAdmin(String pathAndQuery) {
    Command.Result result = host.exec(List.of("curl", "-sS", "--max-time", "10",
        "http://127.0.0.1:" + ADMIN_PORT + pathAndQuery), Duration.ofSeconds(20));
    if (!result.ok()) {
      throw new IllegalStateException("Envoy admin " + pathAndQuery + " of " + workload.proxyId() + ": "
          + result.describe());
    }
    return result.stdout();
  }

  public JsonNode envoyAdminJson(String pathAndQuery) {
    try {
      return json.readTree(envoyAdmin(pathAndQuery));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Envoy's counters whose names match {@code regex} (its admin {@code /stats?filter=}), by name. */
  public Map<String, Long> envoyStats(String regex) {
    Map<String, Long> stats = new LinkedHashMap<>();
    for (String line : envoyAdmin("/stats?filter=" + regex).lines().toList()) {
      int colon = line.lastIndexOf(": ");
      if (colon > 0) {
        try {
          stats.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 2).trim()));
        } catch (NumberFormatException histogram) {
          // Histograms print quantiles, not a number; no test reads them.
        }
      }
    }
    return stats;
  }

  /** One Envoy counter; 0 when absent. */
  public long envoyStat(String name) {
    return envoyStats("^" + name.replace(".", "\\.") + "$").getOrDefault(name, 0L);
  }

  private void assertAlive() {
    if (!process.isAlive()) {
      throw new AssertionError("pilot-agent of " + workload.proxyId() + " exited with code " + process.exitValue()
          + "; see " + log);
    }
  }

  /** SIGTERM to the agent (it stops Envoy), then SIGKILL to whatever is left. Idempotent. */
  @Override
  public void close() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(STOP_BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    // Envoy normally exits with the agent; one left behind would hold the host's ports.
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running already.
    }
  }

  private void kill() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
  }

  @Override
  public String toString() {
    return "pilot-agent " + workload.proxyId() + " at " + ip + " (pid " + process.pid() + ", log " + log + ")";
  }
}
