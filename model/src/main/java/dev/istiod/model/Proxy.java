package dev.istiod.model;

import io.envoyproxy.envoy.config.core.v3.Extension;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A connected proxy as istiod sees it: parsed once from the Envoy {@link Node} of the first
 * request on a stream.
 *
 * @param id the {@code <pod>.<namespace>} part of the node id, which debug endpoints take as
 *     {@code proxyID}
 * @param nodeId the whole Envoy node id
 * @param envoyExtensions the extension names Envoy says it has compiled in ({@code Node.extensions});
 *     generators emit an extension only if it is here, so upstream Envoy never gets istio-proxy-only
 *     filters
 * @param verifiedIdentity who the stream's caller proved to be, when it authenticated (15012);
 *     null for an anonymous stream (plaintext 15010, tests), which SDS serves no secrets
 */
public record Proxy(
    NodeType type,
    String id,
    String nodeId,
    List<String> ipAddresses,
    String dnsDomain,
    String configNamespace,
    NodeMetadata metadata,
    Map<String, String> labels,
    IstioVersion istioVersion,
    Locality locality,
    Set<String> envoyExtensions,
    VerifiedIdentity verifiedIdentity) {

  public Proxy {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(nodeId, "nodeId");
    ipAddresses = List.copyOf(ipAddresses);
    dnsDomain = dnsDomain == null ? "" : dnsDomain;
    configNamespace = configNamespace == null ? "" : configNamespace;
    metadata = metadata == null ? NodeMetadata.EMPTY : metadata;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    istioVersion = istioVersion == null ? IstioVersion.MAX : istioVersion;
    locality = locality == null ? Locality.NONE : locality;
    envoyExtensions = envoyExtensions == null ? Set.of() : Set.copyOf(envoyExtensions);
  }

  /** A proxy of an anonymous stream. */
  public Proxy(NodeType type, String id, String nodeId, List<String> ipAddresses, String dnsDomain,
      String configNamespace, NodeMetadata metadata, Map<String, String> labels, IstioVersion istioVersion,
      Locality locality, Set<String> envoyExtensions) {
    this(type, id, nodeId, ipAddresses, dnsDomain, configNamespace, metadata, labels, istioVersion, locality,
        envoyExtensions, null);
  }

  /**
   * Parses an Envoy node as upstream's {@code ParseServiceNodeWithMetadata}: the id must be
   * {@code <type>~<ip>~<pod>.<namespace>~<dnsDomain>} with a known type.
   *
   * @throws IllegalArgumentException with a message fit for the gRPC status when the node is
   *     malformed
   */
  public static Proxy fromNode(Node node) {
    String nodeId = node.getId();
    String[] parts = nodeId.split("~", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("missing parts in the service node " + nodeId);
    }
    NodeType type = NodeType.parse(parts[0])
        .orElseThrow(() -> new IllegalArgumentException("invalid node type (valid types: sidecar, router, waypoint, ztunnel) in the service node " + nodeId));
    NodeMetadata meta = new NodeMetadata(node.getMetadata());
    List<String> ips = meta.instanceIps();
    if (ips.isEmpty()) {
      if (parts[1].isEmpty()) {
        throw new IllegalArgumentException("no valid IP address in the service node id or IP metadata");
      }
      ips = List.of(parts[1]);
    }
    String id = parts[2];
    String dnsDomain = parts[3];
    String ns = meta.namespace();
    if (ns.isEmpty()) {
      // Upstream: the config namespace is the first label of the DNS domain when metadata lacks it.
      int dot = dnsDomain.indexOf('.');
      ns = dot > 0 ? dnsDomain.substring(0, dot) : dnsDomain;
    }
    Map<String, String> labels = meta.labels();
    Locality locality = node.hasLocality()
        ? new Locality(node.getLocality().getRegion(), node.getLocality().getZone(), node.getLocality().getSubZone())
        : Locality.NONE;
    Set<String> extensions = node.getExtensionsList().stream().map(Extension::getName).collect(Collectors.toSet());
    return new Proxy(type, id, nodeId, ips, dnsDomain, ns, meta, labels,
        IstioVersion.parse(meta.istioVersion()), locality, extensions);
  }

  /** True if the connected Envoy has this extension compiled in. */
  public boolean supportsExtension(String name) {
    return envoyExtensions.contains(name);
  }

  public boolean isSidecar() {
    return type == NodeType.SIDECAR;
  }

  public boolean isRouter() {
    return type == NodeType.ROUTER;
  }

  /** The pod (or VM) name: the id without its namespace suffix. */
  public String workloadName() {
    int dot = id.lastIndexOf('.');
    return dot > 0 ? id.substring(0, dot) : id;
  }

  public Proxy withLabels(Map<String, String> newLabels) {
    return new Proxy(type, id, nodeId, ipAddresses, dnsDomain, configNamespace, metadata, newLabels,
        istioVersion, locality, envoyExtensions, verifiedIdentity);
  }

  /** This proxy as connected by a caller that proved {@code identity} (null: anonymous). */
  public Proxy withVerifiedIdentity(VerifiedIdentity identity) {
    return new Proxy(type, id, nodeId, ipAddresses, dnsDomain, configNamespace, metadata, labels,
        istioVersion, locality, envoyExtensions, identity);
  }
}
