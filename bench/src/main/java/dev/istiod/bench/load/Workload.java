package dev.istiod.bench.load;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One simulated proxy's pod: what pilot-agent would read from its environment and the downward API.
 *
 * @param kind sidecar ({@code sidecar~…} node, traffic interception) or gateway ({@code router~…})
 * @param labels the pod's labels (as the downward API gives them, before the injector's additions)
 * @param ports the application containers' ports, for {@code POD_PORTS}; may be empty
 */
record Workload(Kind kind, String ip, String pod, String namespace, String serviceAccount,
    Map<String, String> labels, List<Integer> ports) {

  /** The node type pilot-agent is started with. */
  enum Kind {
    SIDECAR("sidecar"),
    ROUTER("router");

    private final String nodeType;

    Kind(String nodeType) {
      this.nodeType = nodeType;
    }

    String nodeType() {
      return nodeType;
    }
  }

  // A Deployment's pod: <deployment>-<pod-template-hash>-<5 characters>; a StatefulSet's: <name>-<ordinal>.
  private static final Pattern DEPLOYMENT_POD = Pattern.compile("(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}");
  private static final Pattern STATEFUL_POD = Pattern.compile("(.+)-[0-9]+");

  Workload {
    Objects.requireNonNull(kind, "kind");
    requireText(ip, "ip");
    requireText(pod, "pod");
    requireText(namespace, "namespace");
    requireText(serviceAccount, "serviceAccount");
    labels = Map.copyOf(new TreeMap<>(labels));
    ports = List.copyOf(ports);
  }

  private static void requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
  }

  /**
   * The workload (Deployment) name the injector puts in {@code WORKLOAD_NAME}: the pod name without its
   * ReplicaSet hash and random suffix, or without a StatefulSet ordinal; the pod name when neither applies.
   */
  String workloadName() {
    Matcher m = DEPLOYMENT_POD.matcher(pod);
    if (m.matches()) {
      return m.group(1);
    }
    m = STATEFUL_POD.matcher(pod);
    return m.matches() ? m.group(1) : pod;
  }

  /** The canonical service name the injector labels the pod with: its app label, else its workload name. */
  String canonicalName() {
    String app = labels.get("app.kubernetes.io/name");
    if (app == null) {
      app = labels.get("app");
    }
    return app != null ? app : workloadName();
  }
}
