package dev.istiod.ca.auth;

import java.util.Objects;

/**
 * What a TokenReview said about a caller: its service account and, for bound tokens, its pod
 * (from {@code user.extra}); used to authorize impersonation by node agents.
 */
public record KubernetesInfo(String namespace, String serviceAccount, String podName, String podUid) {
  public KubernetesInfo {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    podName = podName == null ? "" : podName;
    podUid = podUid == null ? "" : podUid;
  }
}
