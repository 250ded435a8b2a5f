package dev.istiod.xds.gen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.EnvoyFilter;
import dev.istiod.api.networking.v1alpha3.Gateway;
import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.api.networking.v1alpha3.Sidecar;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.api.networking.v1alpha3.WorkloadGroup;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Environment;
import dev.istiod.model.Kind;
import dev.istiod.model.MeshConfigs;
import dev.istiod.model.ProtoYaml;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.serviceregistry.serviceentry.ServiceEntryRegistry;
import io.envoyproxy.envoy.config.core.v3.Extension;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test scenario from Istio YAML: a header document describing the proxy under test, then
 * Istio objects. Builds the same environment istiod would (a config store, the real ServiceEntry
 * registry, an endpoint index) and a PushContext over it.
 *
 * <p>Header ({@code kind: ProxyUnderTest}): {@code nodeId}, {@code metadata} (Envoy node metadata
 * as pilot-agent writes it), {@code extensions} (Node.extensions; leave out for upstream Envoy,
 * list {@code istio.metadata_exchange}, {@code istio.alpn} for istio-proxy), {@code meshConfig}
 * (mesh config YAML applied over the defaults). Objects get creation timestamps in document
 * order, so "oldest wins" rules follow the file.
 */
final class Scenario {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final String HEADER_KIND = "ProxyUnderTest";
  private static final Map<Kind, Message> SPECS = new HashMap<>();

  static {
    SPECS.put(Kind.VIRTUAL_SERVICE, VirtualService.getDefaultInstance());
    SPECS.put(Kind.DESTINATION_RULE, DestinationRule.getDefaultInstance());
    SPECS.put(Kind.GATEWAY, Gateway.getDefaultInstance());
    SPECS.put(Kind.SERVICE_ENTRY, ServiceEntry.getDefaultInstance());
    SPECS.put(Kind.WORKLOAD_ENTRY, WorkloadEntry.getDefaultInstance());
    SPECS.put(Kind.WORKLOAD_GROUP, WorkloadGroup.getDefaultInstance());
    SPECS.put(Kind.SIDECAR, Sidecar.getDefaultInstance());
    SPECS.put(Kind.ENVOY_FILTER, EnvoyFilter.getDefaultInstance());
  }

  final Proxy proxy;
  final MeshConfig mesh;
  final TestStore store;
  final EndpointIndex endpoints = new EndpointIndex();
  final ServiceEntryRegistry registry;
  final Environment env;

  private Scenario(Proxy proxy, MeshConfig mesh, List<Config> configs) {
    this.proxy = proxy;
    this.mesh = mesh;
    this.store = new TestStore(configs);
    this.registry = new ServiceEntryRegistry(store, endpoints, req -> { },
        ServiceEntryRegistry.Options.defaults().withMesh(() -> mesh).withExecutor(Runnable::run));
    registry.start();
    this.env = new Environment(store, registry, endpoints, () -> mesh, "cluster.local");
  }

  PushContext push() {
    return PushContext.build(env, "test", null, PushRequest.forced(TriggerReason.GLOBAL));
  }

  static Scenario parse(String yaml) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser p = (YAMLParser) YAML.getFactory().createParser(yaml)) {
      while (p.nextToken() != null) {
        JsonNode n = YAML.readTree(p);
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          docs.add(n);
        }
      }
    }
    if (docs.isEmpty() || !HEADER_KIND.equals(docs.get(0).path("kind").asText())) {
      throw new IllegalArgumentException("the first document must be kind: " + HEADER_KIND);
    }
    JsonNode header = docs.get(0);
    MeshConfig mesh = MeshConfigs.parse(header.path("meshConfig").asText(""));
    List<Config> configs = new ArrayList<>();
    for (int i = 1; i < docs.size(); i++) {
      configs.add(decode(docs.get(i), i));
    }
    return new Scenario(proxy(header), mesh, configs);
  }

  static Proxy proxy(JsonNode header) throws IOException {
    Node.Builder node = Node.newBuilder().setId(header.path("nodeId").asText());
    if (header.has("metadata")) {
      Struct.Builder md = Struct.newBuilder();
      JsonFormat.parser().merge(new ObjectMapper().writeValueAsString(header.get("metadata")), md);
      node.setMetadata(md);
    }
    for (JsonNode e : header.path("extensions")) {
      node.addExtensions(Extension.newBuilder().setName(e.asText()));
    }
    return Proxy.fromNode(node.build());
  }

  private static Config decode(JsonNode doc, int index) {
    String apiVersion = doc.path("apiVersion").asText();
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    Kind kind = Kind.fromGroupKind(group, doc.path("kind").asText())
        .orElseThrow(() -> new IllegalArgumentException("unknown kind " + apiVersion + " " + doc.path("kind")));
    Message.Builder spec = SPECS.get(kind).newBuilderForType();
    ProtoYaml.merge(doc.has("spec") ? doc.get("spec") : new ObjectMapper().createObjectNode(), spec, false);
    JsonNode md = doc.path("metadata");
    Map<String, String> labels = new HashMap<>();
    md.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    ConfigMeta meta = new ConfigMeta(md.path("name").asText(), md.path("namespace").asText("default"), labels,
        Map.of(), "1", 1, Instant.EPOCH.plusSeconds(index), "input.yaml");
    return new Config(kind, meta, spec.build());
  }

  static ObjectNode object() {
    return new ObjectMapper().createObjectNode();
  }
}
