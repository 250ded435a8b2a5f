package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.mesh.v1alpha1.ProxyConfig;
import dev.istiod.model.MeshConfigs;
import dev.istiod.model.ProtoYaml;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The proxy config a pod's sidecar gets: the mesh's {@code defaultConfig} with the pod's
 * {@code proxy.istio.io/config} annotation applied over it (proxy metadata merged key by key,
 * as upstream's MergeProxyConfig), and its compact JSON for {@code PROXY_CONFIG}, which leaves
 * out what equals upstream's defaults (cleanProxyConfig) so pods stay small.
 */
final class ProxyConfigs {
  static final String ANNOTATION = "proxy.istio.io/config";
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

  private ProxyConfigs() {}

  static ProxyConfig effective(MeshConfig mesh, Map<String, String> annotations) {
    ProxyConfig base = mesh.hasDefaultConfig() ? mesh.getDefaultConfig() : MeshConfigs.defaultProxyConfig();
    String annotation = annotations.get(ANNOTATION);
    if (annotation == null) {
      return base;
    }
    try {
      return applyAnnotation(base, annotation);
    } catch (IllegalArgumentException e) {
      return base; // upstream ignores an annotation it cannot apply here; the annotation check reports it
    }
  }

  /** @throws IllegalArgumentException when the YAML is not a valid ProxyConfig */
  static ProxyConfig applyAnnotation(ProxyConfig base, String yaml) {
    JsonNode tree = ProtoYaml.readTree(yaml);
    ProxyConfig.Builder b = base.toBuilder();
    ProtoYaml.overlay(tree, b);
    Map<String, String> metadata = new LinkedHashMap<>(base.getProxyMetadataMap());
    metadata.putAll(b.getProxyMetadataMap());
    return b.clearProxyMetadata().putAllProxyMetadata(metadata).build();
  }

  /**
   * The JSON of {@code PROXY_CONFIG}: only what differs from upstream's default proxy config. A
   * message field counts as equal only when both sides set it or neither does (Go's
   * proto.Equal tells an empty message from an unset one).
   */
  static String compactJson(ProxyConfig pc) {
    ProxyConfig d = MeshConfigs.defaultProxyConfig();
    ProxyConfig.Builder b = pc.toBuilder();
    if (b.getConfigPath().equals(d.getConfigPath())) {
      b.clearConfigPath();
    }
    if (b.getBinaryPath().equals(d.getBinaryPath())) {
      b.clearBinaryPath();
    }
    if (b.getControlPlaneAuthPolicy() == d.getControlPlaneAuthPolicy()) {
      b.clearControlPlaneAuthPolicy();
    }
    if (b.hasServiceCluster() && b.getServiceCluster().equals(d.getServiceCluster())) {
      b.clearServiceCluster();
    }
    if (same(b.hasDrainDuration(), d.hasDrainDuration(), b.getDrainDuration(), d.getDrainDuration())) {
      b.clearDrainDuration();
    }
    if (same(b.hasTerminationDrainDuration(), d.hasTerminationDrainDuration(), b.getTerminationDrainDuration(), d.getTerminationDrainDuration())) {
      b.clearTerminationDrainDuration();
    }
    if (b.getDiscoveryAddress().equals(d.getDiscoveryAddress())) {
      b.clearDiscoveryAddress();
    }
    if (same(b.hasEnvoyMetricsService(), d.hasEnvoyMetricsService(), b.getEnvoyMetricsService(), d.getEnvoyMetricsService())) {
      b.clearEnvoyMetricsService();
    }
    if (same(b.hasEnvoyAccessLogService(), d.hasEnvoyAccessLogService(), b.getEnvoyAccessLogService(), d.getEnvoyAccessLogService())) {
      b.clearEnvoyAccessLogService();
    }
    if (same(b.hasTracing(), d.hasTracing(), b.getTracing(), d.getTracing())) {
      b.clearTracing();
    }
    if (b.getProxyAdminPort() == d.getProxyAdminPort()) {
      b.clearProxyAdminPort();
    }
    if (b.getStatNameLength() == d.getStatNameLength()) {
      b.clearStatNameLength();
    }
    if (b.getStatusPort() == d.getStatusPort()) {
      b.clearStatusPort();
    }
    if (same(b.hasConcurrency(), d.hasConcurrency(), b.getConcurrency(), d.getConcurrency())) {
      b.clearConcurrency();
    }
    try {
      return PRINTER.print(b.build());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print a ProxyConfig as JSON", e);
    }
  }

  private static boolean same(boolean hasA, boolean hasB, Object a, Object b) {
    return hasA == hasB && a.equals(b);
  }
}
