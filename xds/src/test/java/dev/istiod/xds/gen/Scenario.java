package dev.istiod.xds.gen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.configstore.ConfigDecoder;
import dev.istiod.configstore.DecodeMode;
import dev.istiod.configstore.DecodeResult;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.model.Config;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Environment;
import dev.istiod.model.MeshConfigs;
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
import java.util.List;

/**
 * A test scenario from Istio YAML: a header document describing the proxy under test, then
 * Istio objects. Builds the same environment istiod would (a config store, the real ServiceEntry
 * registry, an endpoint index) and a PushContext over it.
 *
 * <p>Header ({@code kind: ProxyUnderTest}): {@code nodeId}, {@code metadata} (Envoy node metadata
 * as pilot-agent writes it), {@code extensions} (Node.extensions; leave out for upstream Envoy,
 * list {@code istio.metadata_exchange}, {@code istio.alpn} for istio-proxy), {@code meshConfig}
 * (mesh config YAML applied over the defaults), {@code locality} (the node's
 * {@code region/zone/subzone}), {@code verifiedIdentity} (the SPIFFE id the proxy's stream proved;
 * without it SDS serves nothing), {@code secretReaders} ({@code namespace/serviceAccount} pairs
 * allowed to read their namespace's secrets; everyone when absent). Objects get creation
 * timestamps in document order, so "oldest wins" rules follow the file.
 *
 * <p>Kubernetes Secrets ({@code apiVersion: v1, kind: Secret}, with {@code data} in base64 or
 * {@code stringData}) become the scenario's credentials source, which is always present, as in a
 * cluster. A {@code stringData} value {@code file:<path>} is read from that file (relative to the
 * xds module), so test certificates need not be pasted into every scenario.
 */
public final class Scenario {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final String HEADER_KIND = "ProxyUnderTest";
  static final KindRegistry KINDS = KindRegistry.istio();

  final Proxy proxy;
  final MeshConfig mesh;
  final MemoryConfigStore store = new MemoryConfigStore(KINDS);
  final EndpointIndex endpoints = new EndpointIndex();
  final dev.istiod.xds.testing.MemoryCredentials credentials = new dev.istiod.xds.testing.MemoryCredentials();
  final ServiceEntryRegistry registry;
  final Environment env;

  private Scenario(Proxy proxy, MeshConfig mesh, List<Config> configs) {
    this.proxy = proxy;
    this.mesh = mesh;
    configs.forEach(store::create);
    this.registry = new ServiceEntryRegistry(store, endpoints, req -> { },
        ServiceEntryRegistry.Options.defaults().withMesh(() -> mesh).withExecutor(Runnable::run));
    registry.start();
    this.env = new Environment(store, registry, endpoints, () -> mesh, "cluster.local", credentials);
  }

  /** The proxy the header describes (public for the traffic simulator). */
  public Proxy proxy() {
    return proxy;
  }

  public PushContext push() {
    return PushContext.build(env, "test", null, PushRequest.forced(TriggerReason.GLOBAL));
  }

  public static Scenario parse(String yaml) throws IOException {
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
    List<JsonNode> objects = docs.subList(1, docs.size());
    Scenario scenario = new Scenario(proxy(header), mesh,
        decode(objects.stream().filter(d -> !isSecret(d)).toList()));
    objects.stream().filter(Scenario::isSecret).forEach(scenario::putSecret);
    if (header.has("secretReaders")) {
      List<String> readers = new ArrayList<>();
      header.get("secretReaders").forEach(r -> readers.add(r.asText()));
      scenario.credentials.allowOnly(readers.toArray(String[]::new));
    }
    return scenario;
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
    if (header.has("locality")) { // region/zone/subzone, as Envoy's node.locality
      dev.istiod.model.Locality l = dev.istiod.model.Locality.parse(header.get("locality").asText());
      node.getLocalityBuilder().setRegion(l.region()).setZone(l.zone()).setSubZone(l.subzone());
    }
    Proxy proxy = Proxy.fromNode(node.build());
    if (header.has("verifiedIdentity")) {
      String id = header.get("verifiedIdentity").asText();
      proxy = proxy.withVerifiedIdentity(dev.istiod.model.VerifiedIdentity.parse(id)
          .orElseThrow(() -> new IllegalArgumentException("verifiedIdentity is not a SPIFFE id: " + id)));
    }
    return proxy;
  }

  private static boolean isSecret(JsonNode doc) {
    return "v1".equals(doc.path("apiVersion").asText()) && "Secret".equals(doc.path("kind").asText());
  }

  private void putSecret(JsonNode doc) {
    java.util.Map<String, String> data = new java.util.LinkedHashMap<>();
    doc.path("data").fields().forEachRemaining(e -> data.put(e.getKey(),
        new String(java.util.Base64.getDecoder().decode(e.getValue().asText()), java.nio.charset.StandardCharsets.UTF_8)));
    doc.path("stringData").fields().forEachRemaining(e -> data.put(e.getKey(), fileOrText(e.getValue().asText())));
    credentials.put(doc.path("metadata").path("namespace").asText("default"), doc.path("metadata").path("name").asText(),
        data);
  }

  private static String fileOrText(String value) {
    if (!value.startsWith("file:")) {
      return value;
    }
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of(value.substring("file:".length())));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Decodes and validates the objects with the real config decoder (strict, as for files), after
   * stamping each with a creation time in document order.
   */
  private static List<Config> decode(List<JsonNode> docs) throws IOException {
    ArrayNode array = new ObjectMapper().createArrayNode();
    for (int i = 0; i < docs.size(); i++) {
      ObjectNode doc = docs.get(i).deepCopy();
      ObjectNode md = doc.has("metadata") ? (ObjectNode) doc.get("metadata") : doc.putObject("metadata");
      if (!md.has("creationTimestamp")) {
        md.put("creationTimestamp", Instant.EPOCH.plusSeconds(i + 1).toString());
      }
      array.add(doc);
    }
    DecodeResult r = new ConfigDecoder(KINDS, DecodeMode.STRICT).decodeJson(array.toString(), "input.yaml");
    if (r.hasErrors()) {
      throw new IllegalArgumentException("input.yaml: " + r.errors());
    }
    return r.configs();
  }

  static ObjectNode object() {
    return new ObjectMapper().createObjectNode();
  }
}
