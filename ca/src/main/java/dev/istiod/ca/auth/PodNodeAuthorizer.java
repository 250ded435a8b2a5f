package dev.istiod.ca.auth;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upstream's ClusterNodeAuthorizer over a Pod informer: the caller must be a trusted node account,
 * its token must name a Pod that exists with that UID and service account, and some non-failed Pod
 * on the same node must run as the requested identity.
 */
public final class PodNodeAuthorizer implements NodeAuthorizer, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodNodeAuthorizer.class);
  private static final String SA_NODE_INDEX = "saNode";

  private final Set<String> trustedAccounts;
  private final SharedIndexInformer<Pod> pods;

  /** Starts a Pod informer over every namespace; {@code trustedAccounts} are "ns/sa" entries. */
  public PodNodeAuthorizer(KubernetesClient client, Set<String> trustedAccounts) {
    this.trustedAccounts = Set.copyOf(trustedAccounts);
    this.pods = client.pods().inAnyNamespace().withoutField("status.phase", "Failed").runnableInformer(0);
    pods.addIndexers(Map.of(SA_NODE_INDEX, pod -> {
      String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
      String sa = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
      if (node == null || node.isEmpty() || sa == null || sa.isEmpty()) {
        return List.of();
      }
      return List.of(saNode(node, pod.getMetadata().getNamespace(), sa));
    }));
    // fabric8 gives up on an informer whose first LIST fails; keep trying, as client-go does.
    pods.exceptionHandler((started, t) -> {
      log.warn("Pod informer of the node authorizer: {}; retrying", t.toString());
      return true;
    });
    pods.start();
  }

  public boolean hasSynced() {
    return pods.hasSynced();
  }

  @Override
  public void authorizeImpersonation(Caller caller, String requestedIdentity) throws AuthenticationException {
    KubernetesInfo info = caller.kubernetes()
        .orElseThrow(() -> new AuthenticationException("caller has no Kubernetes identity to impersonate with"));
    if (!trustedAccounts.contains(info.namespace() + "/" + info.serviceAccount())) {
      throw new AuthenticationException("caller (" + info.namespace() + "/" + info.serviceAccount()
          + ") is not allowed to impersonate");
    }
    SpiffeId requested = SpiffeId.parse(requestedIdentity)
        .orElseThrow(() -> new AuthenticationException("failed to validate impersonated identity " + requestedIdentity));
    Pod callerPod = pods.getIndexer().getByKey(info.namespace() + "/" + info.podName());
    if (callerPod == null) {
      throw new AuthenticationException("pod " + info.namespace() + "/" + info.podName() + " not found");
    }
    if (!info.podUid().equals(callerPod.getMetadata().getUid())) {
      throw new AuthenticationException("pod found, but UID does not match: " + callerPod.getMetadata().getUid()
          + " vs " + info.podUid());
    }
    if (!info.serviceAccount().equals(callerPod.getSpec().getServiceAccountName())) {
      throw new AuthenticationException("pod found, but ServiceAccount does not match");
    }
    String node = callerPod.getSpec().getNodeName();
    if (pods.getIndexer().byIndex(SA_NODE_INDEX, saNode(node, requested.namespace(), requested.serviceAccount()))
        .isEmpty()) {
      throw new AuthenticationException("no instances of \"" + requested.namespace() + "/"
          + requested.serviceAccount() + "\" found on node \"" + node + "\"");
    }
  }

  private static String saNode(String node, String namespace, String sa) {
    return node + "/" + namespace + "/" + sa;
  }

  @Override
  public void close() {
    pods.close();
  }
}
