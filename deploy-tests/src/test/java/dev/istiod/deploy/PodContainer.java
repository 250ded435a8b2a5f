package dev.istiod.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One container of a rendered Deployment's Pod template, with what a kubelet needs to start it: its args, its
 * environment (literal values and fieldRefs, the latter resolved for a given Pod), its volumes as mounted, its
 * readiness probe, memory limit and security context.
 */
record PodContainer(String serviceAccount, String image, List<String> args, List<EnvVar> env, List<Mount> mounts,
    String readinessPath, int readinessPort, Optional<Long> memoryLimitBytes, boolean readOnlyRootFilesystem,
    boolean runAsNonRoot, Optional<Integer> runAsUser, Optional<Integer> runAsGroup) {

  PodContainer {
    args = List.copyOf(args);
    env = List.copyOf(env);
    mounts = List.copyOf(mounts);
  }

  /** An env entry: a literal {@code value}, or a {@code fieldRef} path resolved when the Pod is known. */
  record EnvVar(String name, Optional<String> value, Optional<String> fieldPath) {}

  /** Where a volume is mounted and what kind of volume it is. */
  record Mount(String path, boolean readOnly, Volume volume) {}

  /** The volume kinds the chart uses. */
  sealed interface Volume {
    String name();
  }

  record EmptyDir(String name) implements Volume {}

  record ServiceAccountToken(String name, String audience, long expirationSeconds, String path)
      implements Volume {}

  /**
   * The volume the kubelet adds to every Pod whose service account token is mounted automatically
   * (kube-api-access-*): token, ca.crt and namespace at /var/run/secrets/kubernetes.io/serviceaccount.
   */
  record KubeApiAccess(String name) implements Volume {}

  /** A Secret or ConfigMap volume ({@code kind} "secret" or "configMap"). */
  record ObjectVolume(String name, String kind, String objectName, boolean optional) implements Volume {}

  /** The named container of the Deployment; fails on volume kinds this harness cannot provide. */
  static PodContainer of(JsonNode deployment, String containerName) {
    JsonNode spec = deployment.at("/spec/template/spec");
    JsonNode container = null;
    for (JsonNode c : spec.path("containers")) {
      if (containerName.equals(c.path("name").asText())) {
        container = c;
      }
    }
    if (container == null) {
      throw new IllegalArgumentException("no container " + containerName);
    }
    if (container.has("command")) {
      throw new IllegalArgumentException("container sets command: the image's ENTRYPOINT would not be used");
    }
    Map<String, Volume> volumes = new LinkedHashMap<>();
    for (JsonNode v : spec.path("volumes")) {
      volumes.put(v.path("name").asText(), volume(v));
    }
    List<Mount> mounts = new ArrayList<>();
    for (JsonNode m : container.path("volumeMounts")) {
      Volume volume = volumes.get(m.path("name").asText());
      if (volume == null) {
        throw new IllegalArgumentException("volumeMount of an undeclared volume: " + m);
      }
      mounts.add(new Mount(m.path("mountPath").asText(), m.path("readOnly").asBoolean(false), volume));
    }
    List<EnvVar> env = new ArrayList<>();
    for (JsonNode e : container.path("env")) {
      env.add(new EnvVar(e.path("name").asText(),
          e.has("value") ? Optional.of(e.path("value").asText()) : Optional.empty(),
          e.at("/valueFrom/fieldRef/fieldPath").isMissingNode() ? Optional.empty()
              : Optional.of(e.at("/valueFrom/fieldRef/fieldPath").asText())));
    }
    List<String> args = new ArrayList<>();
    container.path("args").forEach(a -> args.add(a.asText()));
    JsonNode probe = container.at("/readinessProbe/httpGet");
    JsonNode limit = container.at("/resources/limits/memory");
    JsonNode security = container.path("securityContext");
    return new PodContainer(spec.path("serviceAccountName").asText("default"), container.path("image").asText(),
        args, env, mounts,
        probe.path("path").asText(), probe.path("port").asInt(),
        limit.isMissingNode() ? Optional.empty() : Optional.of(quantityBytes(limit.asText())),
        security.path("readOnlyRootFilesystem").asBoolean(false), security.path("runAsNonRoot").asBoolean(false),
        security.has("runAsUser") ? Optional.of(security.path("runAsUser").asInt()) : Optional.empty(),
        security.has("runAsGroup") ? Optional.of(security.path("runAsGroup").asInt()) : Optional.empty());
  }

  /** This container with one more mount, e.g. the kubelet's {@link KubeApiAccess} volume. */
  PodContainer withMount(Mount mount) {
    List<Mount> all = new ArrayList<>(mounts);
    all.add(mount);
    return new PodContainer(serviceAccount, image, args, env, all, readinessPath, readinessPort, memoryLimitBytes,
        readOnlyRootFilesystem, runAsNonRoot, runAsUser, runAsGroup);
  }

  /**
   * The environment as the kubelet sets it for a Pod named {@code podName} in {@code namespace}: literal values,
   * and fieldRefs of the Pod's name, namespace and service account.
   */
  Map<String, String> resolvedEnv(String podName, String namespace) {
    Map<String, String> out = new LinkedHashMap<>();
    for (EnvVar e : env) {
      if (e.value().isPresent()) {
        out.put(e.name(), e.value().get());
      } else if (e.fieldPath().isPresent()) {
        out.put(e.name(), switch (e.fieldPath().get()) {
          case "metadata.name" -> podName;
          case "metadata.namespace" -> namespace;
          case "spec.serviceAccountName" -> serviceAccount;
          default -> throw new IllegalArgumentException("fieldRef not resolvable here: " + e.fieldPath().get());
        });
      } else {
        throw new IllegalArgumentException("env " + e.name() + " has neither value nor fieldRef");
      }
    }
    return out;
  }

  private static Volume volume(JsonNode v) {
    String name = v.path("name").asText();
    if (v.has("emptyDir")) {
      return new EmptyDir(name);
    }
    if (v.has("secret")) {
      return new ObjectVolume(name, "secret", v.at("/secret/secretName").asText(),
          v.at("/secret/optional").asBoolean(false));
    }
    if (v.has("configMap")) {
      return new ObjectVolume(name, "configMap", v.at("/configMap/name").asText(),
          v.at("/configMap/optional").asBoolean(false));
    }
    JsonNode sources = v.at("/projected/sources");
    if (sources.size() == 1 && sources.get(0).has("serviceAccountToken")) {
      JsonNode token = sources.get(0).get("serviceAccountToken");
      return new ServiceAccountToken(name, token.path("audience").asText(),
          token.path("expirationSeconds").asLong(3600), token.path("path").asText());
    }
    throw new IllegalArgumentException("volume kind not provided by this harness: " + v);
  }

  /** A Kubernetes quantity of bytes: "1Gi", "512Mi", "1G", "1073741824". */
  static long quantityBytes(String quantity) {
    Map<String, Long> suffixes = new LinkedHashMap<>();
    suffixes.put("Ki", 1L << 10);
    suffixes.put("Mi", 1L << 20);
    suffixes.put("Gi", 1L << 30);
    suffixes.put("Ti", 1L << 40);
    suffixes.put("k", 1_000L);
    suffixes.put("M", 1_000_000L);
    suffixes.put("G", 1_000_000_000L);
    suffixes.put("T", 1_000_000_000_000L);
    for (Map.Entry<String, Long> s : suffixes.entrySet()) {
      if (quantity.endsWith(s.getKey())) {
        return new BigDecimal(quantity.substring(0, quantity.length() - s.getKey().length()))
            .multiply(BigDecimal.valueOf(s.getValue())).longValueExact();
      }
    }
    return new BigDecimal(quantity).longValueExact();
  }
}
