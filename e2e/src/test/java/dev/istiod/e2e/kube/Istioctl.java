package dev.istiod.e2e.kube;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The real istioctl (tools/istio/install.sh, the same Istio version as pilot-agent) pointed at an istiod that is
 * not a Pod: every command gets {@code --xds-address}, and a cluster's kubeconfig (never the user's). istioctl
 * needs a reachable API server even with {@code --xds-address --plaintext}: building its client waits for an
 * informer on the cluster's webhook configurations (to find the default revision), so without one it hangs; on
 * the secure port it also asks the API server for the token it presents.
 */
final class Istioctl {
  /** istioctl's own --timeout is 30 s; this bounds a hung process. */
  static final Duration COMMAND_BOUND = Duration.ofSeconds(90);

  private final Path binary;
  private final Map<String, String> env;
  private final List<String> addressFlags;

  private Istioctl(Path binary, Map<String, String> env, List<String> addressFlags) {
    this.binary = binary;
    this.env = Map.copyOf(env);
    this.addressFlags = List.copyOf(addressFlags);
  }

  /**
   * istioctl for istiod's secure port: TLS (istioctl skips verifying istiod's certificate) plus a token that
   * istioctl requests for the {@code default} service account of the istio namespace, audience istio-ca.
   */
  static Istioctl secure(KubeCluster cluster, int securePort, Path home) {
    return new Istioctl(PilotAgentTools.istioctl(), environment(cluster, home),
        List.of("--xds-address", "127.0.0.1:" + securePort));
  }

  /** istioctl for istiod's plaintext port ({@code --plaintext}: no TLS, no token). */
  static Istioctl plaintext(KubeCluster cluster, int grpcPort, Path home) {
    return new Istioctl(PilotAgentTools.istioctl(), environment(cluster, home),
        List.of("--xds-address", "127.0.0.1:" + grpcPort, "--plaintext"));
  }

  private static Map<String, String> environment(KubeCluster cluster, Path home) {
    Map<String, String> env = new LinkedHashMap<>(cluster.clientEnv());
    env.put("HOME", home.toString()); // istioctl keeps ~/.istioctl; never the user's
    return env;
  }

  /** Runs {@code istioctl <args> --xds-address ...} to completion. */
  Command.Result run(String... args) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(args));
    command.addAll(addressFlags);
    return Command.run(command, env, null, COMMAND_BOUND);
  }

  /**
   * The rows of a table istioctl printed (tabwriter, cells padded by several spaces), each as header → cell.
   * Cells never hold two spaces in a row ("SYNCED (3s)"), so two or more spaces separate them.
   */
  static List<Map<String, String>> table(String output) {
    Pattern gap = Pattern.compile(" {2,}");
    List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty()) {
      return List.of();
    }
    String[] headers = gap.split(lines.getFirst().strip());
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = gap.split(line.strip());
      Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < headers.length; i++) {
        row.put(headers[i], i < cells.length ? cells[i] : "");
      }
      rows.add(row);
    }
    return rows;
  }
}
