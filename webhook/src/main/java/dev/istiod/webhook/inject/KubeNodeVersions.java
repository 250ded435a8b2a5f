package dev.istiod.webhook.inject;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's kubelet versions from a Node informer, for {@code ENABLE_NATIVE_SIDECARS=auto}.
 * Only the version is read; the informer keeps whole Node objects, which is fine at the node
 * counts istiod meets.
 */
public final class KubeNodeVersions implements NativeSidecars.NodeVersions, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeNodeVersions.class);

  private final SharedIndexInformer<Node> informer;

  private KubeNodeVersions(SharedIndexInformer<Node> informer) {
    this.informer = informer;
  }

  /** Starts watching Nodes; answers from the cache once {@link #hasSynced()}. */
  public static KubeNodeVersions start(KubernetesClient client) {
    SharedIndexInformer<Node> informer = client.nodes().runnableInformer(0);
    // fabric8 gives up on an informer whose first LIST fails; keep trying, as client-go does.
    informer.exceptionHandler((started, t) -> {
      log.warn("Node informer: {}; retrying", t.toString());
      return true;
    });
    informer.start();
    return new KubeNodeVersions(informer);
  }

  public boolean hasSynced() {
    return informer.hasSynced();
  }

  @Override
  public Optional<String> kubeletVersion(String nodeName) {
    return Optional.ofNullable(informer.getStore().getByKey(nodeName)).map(KubeNodeVersions::version);
  }

  @Override
  public List<String> allKubeletVersions() {
    return informer.getStore().list().stream().map(KubeNodeVersions::version).toList();
  }

  private static String version(Node n) {
    if (n.getStatus() == null || n.getStatus().getNodeInfo() == null
        || n.getStatus().getNodeInfo().getKubeletVersion() == null) {
      return "";
    }
    return n.getStatus().getNodeInfo().getKubeletVersion();
  }

  @Override
  public void close() {
    informer.close();
  }
}
