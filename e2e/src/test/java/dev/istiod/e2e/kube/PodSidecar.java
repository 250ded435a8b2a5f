package dev.istiod.e2e.kube;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.istiod.e2e.Toolchain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An upstream Envoy running as a Pod's sidecar: inside the Pod's test host (its own network namespace, so its
 * virtualOutbound/virtualInbound ports are its own), with the node identity pilot-agent would give it
 * ({@code sidecar~<podIP>~<pod>.<ns>~<ns>.svc.cluster.local}, traffic capture on) and deliberately no labels in
 * its metadata: what istiod knows of its workload must come from the Pod it matches in the cluster. It reaches
 * istiod through a {@link TcpRelay} on the host's machine-side address; its admin listens on the Pod IP.
 */
final class PodSidecar implements AutoCloseable {
  static final Duration READY_BOUND = Duration.ofSeconds(60);

  private final String podName;
  private final String namespace;
  private final String ip;
  private final int adminPort;
  private final Process process;
  private final Path log;
  private final Thread killOnExit;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();

  private PodSidecar(String podName, String namespace, String ip, int adminPort, Process process, Path log) {
    this.podName = podName;
    this.namespace = namespace;
    this.ip = ip;
    this.adminPort = adminPort;
    this.process = process;
    this.log = log;
    this.killOnExit = new Thread(process::destroyForcibly, "kill-envoy-" + podName);
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** Starts the sidecar of Pod {@code podName} at {@code ip} (an address of {@code host}); returns once LIVE. */
  static PodSidecar start(TestHost host, String podName, String namespace, String ip, TcpRelay xds, Path workDir) {
    int adminPort = 15000;
    Path config = workDir.resolve("envoy-" + podName + ".yaml");
    Path log = workDir.resolve("envoy-" + podName + ".log");
    Process process;
    try {
      Files.writeString(config, bootstrap(podName, namespace, ip, host.machineAddress(), xds.port(), adminPort),
          StandardCharsets.UTF_8);
      List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", host.name(),
          Toolchain.envoyBinary().toString(), "--config-path", config.toString(),
          // Hot-restart shared memory is not per network namespace: a base id no other Envoy here uses.
          "--base-id", Integer.toString(xds.port()), "--concurrency", "1", "--log-level", "info",
          "--drain-time-s", "1", "--local-address-ip-version", "v4"));
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the sidecar of " + podName, e);
    }
    PodSidecar sidecar = new PodSidecar(podName, namespace, ip, adminPort, process, log);
    try {
      sidecar.awaitLive();
    } catch (RuntimeException | AssertionError e) {
      sidecar.close();
      throw e;
    }
    return sidecar;
  }

  private static String bootstrap(String pod, String namespace, String ip, String xdsAddress, int xdsPort,
      int adminPort) {
    return """
        node:
          id: "sidecar~%3$s~%1$s.%2$s~%2$s.svc.cluster.local"
          cluster: "%1$s.%2$s"
          metadata:
            NAMESPACE: "%2$s"
            NAME: "%1$s"
            INSTANCE_IPS: "%3$s"
            ISTIO_VERSION: "1.28.0"
            CLUSTER_ID: Kubernetes
            MESH_ID: cluster.local
        dynamic_resources:
          ads_config:
            api_type: DELTA_GRPC
            transport_api_version: V3
            set_node_on_first_message_only: true
            grpc_services:
            - envoy_grpc:
                cluster_name: xds-grpc
          cds_config:
            ads: {}
            resource_api_version: V3
          lds_config:
            ads: {}
            resource_api_version: V3
        static_resources:
          clusters:
          - name: xds-grpc
            type: STATIC
            connect_timeout: 1s
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                explicit_http_config:
                  http2_protocol_options: {}
            load_assignment:
              cluster_name: xds-grpc
              endpoints:
              - lb_endpoints:
                - endpoint:
                    address:
                      socket_address: {address: %4$s, port_value: %5$d}
        admin:
          address:
            socket_address: {address: %3$s, port_value: %6$d}
        """.formatted(pod, namespace, ip, xdsAddress, xdsPort, adminPort);
  }

  private void awaitLive() {
    await("the sidecar of " + podName + " LIVE (admin " + ip + ":" + adminPort + ", log " + log + ")")
        .atMost(READY_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> {
          if (!process.isAlive()) {
            throw new AssertionError("Envoy exited with code " + process.exitValue() + "; see " + log);
          }
          try {
            return admin("/ready").statusCode() == 200;
          } catch (UncheckedIOException notListeningYet) {
            return false;
          }
        });
  }

  /** {@code <pod>.<namespace>}, the id istiod's debug endpoints take. */
  String proxyId() {
    return podName + "." + namespace;
  }

  HttpResponse<String> admin(String pathAndQuery) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + adminPort + pathAndQuery))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The listeners Envoy has active, from its admin config_dump. */
  List<JsonNode> activeListeners() {
    try {
      JsonNode dump = json.readTree(admin("/config_dump?resource=dynamic_listeners").body());
      List<JsonNode> listeners = new ArrayList<>();
      for (JsonNode config : dump.path("configs")) {
        JsonNode listener = config.path("active_state").path("listener");
        if (!listener.isMissingNode()) {
          listeners.add(listener);
        }
      }
      return listeners;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The sum of Envoy's update_rejected counters (0 when it accepted everything it was sent). */
  long updatesRejected() {
    return admin("/stats?filter=update_rejected$").body().lines()
        .mapToLong(line -> Long.parseLong(line.substring(line.lastIndexOf(' ') + 1).trim()))
        .sum();
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running already.
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
