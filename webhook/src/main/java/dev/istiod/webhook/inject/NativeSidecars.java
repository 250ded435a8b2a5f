package dev.istiod.webhook.inject;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether {@code istio-proxy} is injected as a Kubernetes native sidecar (an init container with
 * {@code restartPolicy: Always}), per {@code ENABLE_NATIVE_SIDECARS}: {@code true}, {@code false},
 * or {@code auto} (upstream's default), which turns them on when the pod's node, or every node
 * if the pod is not scheduled yet, runs a kubelet of Kubernetes 1.33 or later, where the
 * feature is stable.
 */
@FunctionalInterface
public interface NativeSidecars {
  /** @param nodeName the pod's {@code spec.nodeName}; "" when not scheduled yet */
  boolean enabledFor(String nodeName);

  /** The kubelet versions of the cluster's nodes, e.g. {@code v1.33.1}. */
  public interface NodeVersions {
    Optional<String> kubeletVersion(String nodeName);

    List<String> allKubeletVersions();
  }

  static NativeSidecars fixed(boolean enabled) {
    return node -> enabled;
  }

  /**
   * @param mode the {@code ENABLE_NATIVE_SIDECARS} value; unknown values mean off, as upstream
   * @param nodes the cluster's nodes; empty when istiod has no cluster (then {@code auto} is off)
   */
  public static NativeSidecars forMode(String mode, Optional<NodeVersions> nodes) {
    return switch (mode.toLowerCase(Locale.ROOT)) {
      case "true" -> fixed(true);
      case "auto" -> nodes.<NativeSidecars>map(Auto::new).orElseGet(() -> {
        Auto.log.warn("configured to auto detect native sidecar support, but there is no cluster client");
        return fixed(false);
      });
      case "false" -> fixed(false);
      default -> {
        Auto.log.warn("unknown value for ENABLE_NATIVE_SIDECARS: {}, defaulting to false", mode);
        yield fixed(false);
      }
    };
  }

  /** Upstream's DetectNativeSidecar. */
  final class Auto implements NativeSidecars {
    private static final Logger log = LoggerFactory.getLogger(NativeSidecars.class);
    private static final int MIN_MINOR = 33;
    private static final Pattern VERSION = Pattern.compile("^v?(\\d+)\\.(\\d+)(?:\\.\\d+)?(?:[-+].*)?$");

    private final NodeVersions nodes;

    Auto(NodeVersions nodes) {
      this.nodes = nodes;
    }

    @Override
    public boolean enabledFor(String nodeName) {
      if (!nodeName.isEmpty()) {
        Optional<String> v = nodes.kubeletVersion(nodeName);
        if (v.isPresent()) {
          return supports(v.get());
        }
        log.warn("pod assigned to node \"{}\" but node not found in cluster", nodeName);
      }
      return nodes.allKubeletVersions().stream().allMatch(Auto::supports);
    }

    static boolean supports(String kubeletVersion) {
      Matcher m = VERSION.matcher(kubeletVersion.strip());
      if (!m.matches()) {
        log.warn("could not read kubelet version {}", kubeletVersion);
        return false;
      }
      return Integer.parseInt(m.group(2)) >= MIN_MINOR;
    }
  }
}
