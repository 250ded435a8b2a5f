package dev.istiod.model;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Kubernetes-style object metadata of a config.
 *
 * @param origin where the object came from, for error messages: a file path, or
 *     {@code kubernetes} for objects read from the cluster
 */
public record ConfigMeta(
    String name,
    String namespace,
    Map<String, String> labels,
    Map<String, String> annotations,
    String resourceVersion,
    long generation,
    Instant creationTimestamp,
    String origin) {

  public ConfigMeta {
    Objects.requireNonNull(name, "name");
    namespace = namespace == null ? "" : namespace;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    resourceVersion = resourceVersion == null ? "" : resourceVersion;
    creationTimestamp = creationTimestamp == null ? Instant.EPOCH : creationTimestamp;
    origin = origin == null ? "" : origin;
  }

  public static ConfigMeta of(String namespace, String name) {
    return new ConfigMeta(name, namespace, Map.of(), Map.of(), "", 0, Instant.EPOCH, "");
  }

  public ConfigMeta withResourceVersion(String version) {
    return new ConfigMeta(name, namespace, labels, annotations, version, generation, creationTimestamp, origin);
  }
}
