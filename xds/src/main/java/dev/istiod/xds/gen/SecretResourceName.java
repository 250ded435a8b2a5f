package dev.istiod.xds.gen;

import java.util.Optional;

/**
 * An SDS resource name a proxy asks istiod for, parsed as upstream's
 * {@code credentials.ParseResourceName}:
 * <ul>
 *   <li>{@code kubernetes://<name>} or {@code kubernetes://<namespace>/<name>}: a Secret, in the
 *       proxy's own namespace unless one is named;</li>
 *   <li>{@code kubernetes-gateway://<namespace>/<name>}: a Secret a Kubernetes Gateway (Gateway
 *       API) references; the namespace is required;</li>
 *   <li>{@code configmap://<namespace>/<name>}: a CA bundle in a ConfigMap (BackendTLSPolicy).</li>
 * </ul>
 * A name ending in {@code -cacert} asks for the CA certificate of the credential.
 *
 * @param resourceName the name exactly as requested, which is also the name of the answer
 */
record SecretResourceName(Type type, String namespace, String name, String resourceName) {
  /** Upstream's {@code SdsCaSuffix}. */
  static final String CA_SUFFIX = "-cacert";

  enum Type {
    KUBERNETES("kubernetes://"),
    KUBERNETES_GATEWAY("kubernetes-gateway://"),
    CONFIGMAP("configmap://");

    private final String prefix;

    Type(String prefix) {
      this.prefix = prefix;
    }
  }

  /**
   * @param proxyNamespace where {@code kubernetes://<name>} is looked up: the namespace of the
   *     proxy's verified identity
   * @return empty, with {@code why} filled in, for a name of no known form
   */
  static Optional<SecretResourceName> parse(String resourceName, String proxyNamespace, StringBuilder why) {
    for (Type t : Type.values()) {
      if (!resourceName.startsWith(t.prefix)) {
        continue;
      }
      String[] split = resourceName.substring(t.prefix.length()).split("/", -1);
      if (t == Type.KUBERNETES) {
        return split.length > 1
            ? Optional.of(new SecretResourceName(t, split[0], split[1], resourceName))
            : Optional.of(new SecretResourceName(t, proxyNamespace, split[0], resourceName));
      }
      if (split.length <= 1) {
        why.append("invalid resource name \"").append(resourceName).append("\". Expected namespace and name");
        return Optional.empty();
      }
      if (split[0].isEmpty() || split[1].isEmpty()) {
        why.append("invalid resource name \"").append(resourceName).append("\". Expected ")
            .append(split[0].isEmpty() ? "namespace" : "name");
        return Optional.empty();
      }
      return Optional.of(new SecretResourceName(t, split[0], split[1], resourceName));
    }
    why.append("unknown resource type: ").append(resourceName);
    return Optional.empty();
  }

  /** Asks only for the CA certificate, which is public: no authorization beyond the namespace. */
  boolean isCaOnly() {
    return name.endsWith(CA_SUFFIX);
  }

  /** The Secret name without the {@code -cacert} suffix. */
  String baseName() {
    return isCaOnly() ? name.substring(0, name.length() - CA_SUFFIX.length()) : name;
  }

  /**
   * Whether a change to the Secret {@code namespace/changedName} can change this resource: the
   * same Secret, or its twin with or without the {@code -cacert} suffix (upstream's
   * {@code relatedConfigs}), since a credential and its CA may come from one compound Secret.
   */
  boolean dependsOn(String changedNamespace, String changedName) {
    if (!namespace.equals(changedNamespace)) {
      return false;
    }
    String twin = isCaOnly() ? baseName() : name + CA_SUFFIX;
    return name.equals(changedName) || twin.equals(changedName);
  }
}
