package dev.istiod.main;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.configstore.ConfigError;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Kind;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.EnvoyTypes;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.server.ConfigDump;
import dev.istiod.xds.server.DiscoveryServer;
import dev.istiod.xds.server.XdsConnectionSnapshot;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Upstream istiod's debug pages ({@code /debug/*}), rendered as JSON from immutable snapshots
 * of the discovery server, the config store and the push context.
 */
final class DebugEndpoints {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final KindRegistry KINDS = KindRegistry.istio();

  private final DiscoveryServer discovery;
  private final ConfigStore configStore;
  private final Supplier<List<ConfigError>> configErrors;
  private final Supplier<MeshConfig> mesh;
  private final String instanceId;

  /**
   * @param configErrors the objects every config source (directory, cluster) skipped as invalid,
   *     with why
   */
  DebugEndpoints(DiscoveryServer discovery, ConfigStore configStore, Supplier<List<ConfigError>> configErrors,
      Supplier<MeshConfig> mesh, String instanceId) {
    this.discovery = discovery;
    this.configStore = configStore;
    this.configErrors = configErrors;
    this.mesh = mesh;
    this.instanceId = instanceId;
  }

  void registerOn(HttpEndpoints server) {
    server.route("/debug/configz", r -> json(configz()))
        .route("/debug/config_errors", r -> json(configErrors()))
        .route("/debug/adsz", r -> {
          if ("true".equals(r.param("push"))) {
            discovery.pushAll(PushRequest.forced(TriggerReason.DEBUG));
          }
          return json(adsz());
        })
        .route("/debug/syncz", r -> json(syncz()))
        .route("/debug/config_dump", this::configDump)
        .route("/debug/registryz", r -> json(registryz()))
        .route("/debug/endpointShardz", r -> json(endpointShardz()))
        .route("/debug/endpointz", r -> json(endpointShardz()))
        .route("/debug/push_status", r -> json(JSON.valueToTree(discovery.pushStats())))
        .route("/debug/mesh", r -> json(proto(mesh.get())));
    // Upstream's list of debug commands (names without /debug/), which `istioctl x internal-debug --list` reads.
    server.route("/debug/list", r -> json(JSON.valueToTree(server.paths().stream()
        .filter(p -> p.startsWith("/debug/") && !p.equals("/debug/list"))
        .map(p -> p.substring("/debug/".length())).sorted().toList())));
    server.route("/debug", r -> json(JSON.valueToTree(server.paths())));
  }

  private ArrayNode configz() {
    ArrayNode out = JSON.createArrayNode();
    for (Kind kind : Kind.values()) {
      if (!kind.isIstioConfig() || !KINDS.contains(kind)) {
        continue;
      }
      for (Config c : configStore.list(kind)) {
        ObjectNode o = out.addObject();
        o.put("kind", kind.kindName());
        o.put("apiVersion", KINDS.schema(kind).apiVersion());
        ObjectNode meta = o.putObject("metadata");
        meta.put("name", c.name());
        meta.put("namespace", c.namespace());
        meta.put("resourceVersion", c.meta().resourceVersion());
        meta.put("creationTimestamp", c.meta().creationTimestamp().toString());
        meta.set("labels", JSON.valueToTree(c.meta().labels()));
        meta.set("annotations", JSON.valueToTree(c.meta().annotations()));
        o.set("spec", proto(c.spec()));
      }
    }
    return out;
  }

  private ArrayNode configErrors() {
    ArrayNode out = JSON.createArrayNode();
    for (ConfigError e : configErrors.get()) {
      out.add(e.toString());
    }
    return out;
  }

  private ObjectNode adsz() {
    List<XdsConnectionSnapshot> connections = discovery.connections();
    ObjectNode out = JSON.createObjectNode();
    out.put("totalClients", connections.size());
    ArrayNode clients = out.putArray("clients");
    for (XdsConnectionSnapshot c : connections) {
      ObjectNode o = clients.addObject();
      o.put("connectionId", c.connectionId());
      o.put("connectedAt", c.connectedAt().toString());
      o.put("address", c.peerAddress());
      o.put("delta", c.delta());
      o.set("labels", JSON.valueToTree(c.proxy().labels()));
      o.set("metadata", proto(c.proxy().metadata().raw()));
      ObjectNode watches = o.putObject("watches");
      for (XdsConnectionSnapshot.Watch w : c.watched()) {
        watches.set(w.typeUrl(), JSON.valueToTree(w.resourceNames()));
      }
    }
    return out;
  }

  /** Per proxy, the nonce sent and acknowledged for each type, as upstream's SyncStatus. */
  private ArrayNode syncz() {
    ArrayNode out = JSON.createArrayNode();
    for (XdsConnectionSnapshot c : discovery.connections()) {
      ObjectNode o = out.addObject();
      o.put("cluster_id", c.proxy().metadata().clusterId());
      o.put("proxy", c.proxy().id());
      o.put("connection_id", c.connectionId());
      o.put("proxy_type", c.proxy().type().value());
      o.put("istio_version", c.proxy().metadata().istioVersion());
      o.put("istiod_instance", instanceId);
      o.put("delta", c.delta());
      ObjectNode errors = JSON.createObjectNode();
      for (XdsConnectionSnapshot.Watch w : c.watched()) {
        String prefix = switch (w.typeUrl()) {
          case TypeUrls.CLUSTER -> "cluster";
          case TypeUrls.LISTENER -> "listener";
          case TypeUrls.ROUTE -> "route";
          case TypeUrls.ENDPOINT -> "endpoint";
          case TypeUrls.SECRET -> "secret";
          default -> TypeUrls.shortName(w.typeUrl());
        };
        o.put(prefix + "_sent", w.nonceSent());
        o.put(prefix + "_acked", w.nonceAcked());
        if (!w.lastError().isEmpty()) {
          errors.put(TypeUrls.shortName(w.typeUrl()), w.lastError());
        }
      }
      o.set("errors", errors);
    }
    return out;
  }

  private HttpEndpoints.Response configDump(HttpEndpoints.Request r) throws InvalidProtocolBufferException {
    String proxyId = r.param("proxyID");
    if (proxyId.isEmpty()) {
      return HttpEndpoints.Response.text(400, "You must provide a proxyID in the query string\n");
    }
    Optional<ConfigDump> dump = discovery.configDump(proxyId);
    if (dump.isEmpty()) {
      return HttpEndpoints.Response.text(404, "Proxy not connected to this Pilot instance\n");
    }
    return HttpEndpoints.Response.json(EnvoyTypes.printer().print(dump.get().toEnvoy(ConfigDump.Endpoints.INCLUDED)));
  }

  private ArrayNode registryz() {
    ArrayNode out = JSON.createArrayNode();
    PushContext push = discovery.pushContext();
    if (push == null) {
      return out;
    }
    for (Service s : push.environment().serviceDiscovery().services()) {
      ObjectNode o = out.addObject();
      o.put("hostname", s.hostname());
      o.put("namespace", s.namespace());
      o.set("addresses", JSON.valueToTree(s.addresses()));
      ArrayNode ports = o.putArray("ports");
      s.ports().forEach(p -> ports.addObject().put("name", p.name()).put("port", p.port())
          .put("protocol", p.protocol().name()).put("targetPort", p.effectiveTargetPort()));
      o.put("resolution", s.resolution().name());
      o.put("meshExternal", s.meshExternal());
      o.put("registry", s.registry().name());
    }
    return out;
  }

  private ObjectNode endpointShardz() {
    ObjectNode out = JSON.createObjectNode();
    PushContext push = discovery.pushContext();
    if (push == null) {
      return out;
    }
    var index = push.environment().endpointIndex();
    for (ServiceKey key : new TreeSet<>(index.services())) {
      ObjectNode byNs = out.has(key.hostname()) ? (ObjectNode) out.get(key.hostname()) : out.putObject(key.hostname());
      ArrayNode eps = byNs.putArray(key.namespace());
      for (Endpoint e : index.endpoints(key)) {
        eps.addObject().put("address", e.address()).put("port", e.port()).put("servicePortName", e.servicePortName())
            .put("health", e.health().name()).put("tlsMode", e.tlsMode().name())
            .put("serviceAccount", e.serviceAccount()).put("locality", e.locality().toString())
            .set("labels", JSON.valueToTree(e.labels()));
      }
    }
    return out;
  }

  private static JsonNode proto(Message m) {
    try {
      return JSON.readTree(JsonFormat.printer().print(m));
    } catch (Exception e) {
      return JSON.getNodeFactory().textNode("<unprintable " + m.getDescriptorForType().getFullName() + ": " + e.getMessage() + ">");
    }
  }

  private static HttpEndpoints.Response json(JsonNode node) throws Exception {
    return HttpEndpoints.Response.json(JSON.writeValueAsString(node) + "\n");
  }
}
