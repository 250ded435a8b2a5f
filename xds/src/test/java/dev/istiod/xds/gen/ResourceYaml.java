package dev.istiod.xds.gen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Envoy resources as canonical YAML: protobuf JSON (with every {@code Any} expanded through a
 * type registry of what generators emit), keys sorted at every level, resources in the order
 * given. Golden files are compared and rewritten in this form.
 */
final class ResourceYaml {
  static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(io.envoyproxy.envoy.config.cluster.v3.Cluster.getDescriptor())
      .add(io.envoyproxy.envoy.config.listener.v3.Listener.getDescriptor())
      .add(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.getDescriptor())
      .add(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.grpc_stats.v3.FilterConfig.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.grpc_web.v3.GrpcWeb.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.listener.original_src.v3.OriginalSrc.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig.getDescriptor())
      .add(com.github.xds.type.v3.TypedStruct.getDescriptor())
      .build();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));

  private ResourceYaml() {}

  static String render(List<? extends Message> resources) {
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    for (Message m : resources) {
      list.add(sorted(toJson(m)));
    }
    try {
      return YAML.writeValueAsString(list);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode toJson(Message m) {
    try {
      return JSON.readTree(JsonFormat.printer().usingTypeRegistry(TYPES).print(m));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("add the missing type to ResourceYaml.TYPES: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode sorted(JsonNode n) {
    if (n instanceof ObjectNode o) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      for (String k : new TreeSet<>(names)) {
        out.set(k, sorted(o.get(k)));
      }
      return out;
    }
    if (n instanceof ArrayNode a) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      a.forEach(x -> out.add(sorted(x)));
      return out;
    }
    return n;
  }
}
