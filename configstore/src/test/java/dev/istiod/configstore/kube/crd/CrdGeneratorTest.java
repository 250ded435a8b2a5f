package dev.istiod.configstore.kube.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.KindSchema;
import dev.istiod.model.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** What `kubectl` and the apiserver see in the generated CRDs. */
class CrdGeneratorTest {
  private static final KindRegistry REGISTRY = KindRegistry.istio();
  private static final List<ObjectNode> CRDS = CrdGenerator.crds(REGISTRY);

  private static ObjectNode crd(Kind kind) {
    return CRDS.stream()
        .filter(c -> c.path("spec").path("names").path("kind").asText().equals(kind.kindName()))
        .findFirst().orElseThrow();
  }

  private static JsonNode storageSpec(Kind kind) {
    for (JsonNode v : crd(kind).path("spec").path("versions")) {
      if (v.path("storage").asBoolean()) {
        return v.path("schema").path("openAPIV3Schema").path("properties").path("spec");
      }
    }
    throw new AssertionError("no storage version for " + kind);
  }

  /** The schema node at a dotted path of property names; "[]" steps into items, "{}" into map values. */
  private static JsonNode at(JsonNode schema, String path) {
    JsonNode n = schema;
    for (String step : path.split("\\.")) {
      if (step.equals("[]")) {
        n = n.path("items");
      } else if (step.equals("{}")) {
        n = n.path("additionalProperties");
      } else {
        n = n.path("properties").path(step);
      }
      assertThat(n.isMissingNode()).as("schema has %s", path).isFalse();
    }
    return n;
  }

  @Test
  void extensionKinds_haveUpstreamGroupsVersionsAndStorage() {
    assertThat(versions(Kind.TELEMETRY)).containsExactly("v1", "v1alpha1*");
    assertThat(crd(Kind.TELEMETRY).path("metadata").path("labels").path("istio").asText()).isEqualTo("telemetry");
    assertThat(crd(Kind.TELEMETRY).path("spec").path("group").asText()).isEqualTo("telemetry.istio.io");
    assertThat(versions(Kind.WASM_PLUGIN)).containsExactly("v1alpha1*");
    assertThat(crd(Kind.WASM_PLUGIN).path("metadata").path("name").asText())
        .isEqualTo("wasmplugins.extensions.istio.io");
    assertThat(versions(Kind.PROXY_CONFIG)).containsExactly("v1beta1*");
    assertThat(crd(Kind.PROXY_CONFIG).path("spec").path("group").asText()).isEqualTo("networking.istio.io");
    JsonNode telemetry = storageSpec(Kind.TELEMETRY);
    assertThat(texts(at(telemetry, "accessLogging.[].match.mode").path("enum")))
        .containsExactly("CLIENT_AND_SERVER", "CLIENT", "SERVER");
    assertThat(at(telemetry, "accessLogging.[].disabled").path("type").asText()).isEqualTo("boolean");
  }

  /** The CRD's version names, the storage one marked with {@code *}. */
  private static List<String> versions(Kind kind) {
    List<String> out = new ArrayList<>();
    for (JsonNode v : crd(kind).path("spec").path("versions")) {
      out.add(v.path("name").asText() + (v.path("storage").asBoolean() ? "*" : ""));
    }
    return out;
  }

  @Test
  void everyIstioKind_hasOneNamespacedCrdWithUpstreamNames() {
    assertThat(CRDS).hasSize(REGISTRY.schemas().size());
    JsonNode vs = crd(Kind.VIRTUAL_SERVICE);
    assertThat(vs.path("metadata").path("name").asText()).isEqualTo("virtualservices.networking.istio.io");
    JsonNode names = vs.path("spec").path("names");
    assertThat(names.path("singular").asText()).isEqualTo("virtualservice");
    assertThat(names.path("listKind").asText()).isEqualTo("VirtualServiceList");
    assertThat(texts(names.path("shortNames"))).containsExactly("vs");
    assertThat(texts(names.path("categories"))).containsExactly("istio-io", "networking-istio-io");
    assertThat(texts(crd(Kind.AUTHORIZATION_POLICY).path("spec").path("names").path("categories")))
        .containsExactly("istio-io", "security-istio-io");
    assertThat(crd(Kind.SIDECAR).path("spec").path("names").has("shortNames")).isFalse();
    Map<String, String> shortNames = CRDS.stream().filter(c -> c.path("spec").path("names").has("shortNames"))
        .collect(Collectors.toMap(c -> c.path("spec").path("names").path("kind").asText(),
            c -> c.path("spec").path("names").path("shortNames").get(0).asText()));
    assertThat(shortNames).containsOnly(Map.entry("VirtualService", "vs"), Map.entry("DestinationRule", "dr"),
        Map.entry("Gateway", "gw"), Map.entry("ServiceEntry", "se"), Map.entry("WorkloadEntry", "we"),
        Map.entry("WorkloadGroup", "wg"), Map.entry("AuthorizationPolicy", "ap"),
        Map.entry("PeerAuthentication", "pa"), Map.entry("RequestAuthentication", "ra"),
        Map.entry("Telemetry", "telemetry"));
    CRDS.forEach(c -> assertThat(c.path("spec").path("scope").asText()).isEqualTo("Namespaced"));
  }

  @Test
  void versions_areTheRegistrysWithItsStorageVersion() {
    for (KindSchema s : REGISTRY.schemas()) {
      List<String> served = new ArrayList<>();
      List<String> storage = new ArrayList<>();
      for (JsonNode v : crd(s.kind()).path("spec").path("versions")) {
        assertThat(v.path("served").asBoolean()).isTrue();
        assertThat(v.path("subresources").path("status").isObject()).isTrue();
        served.add(v.path("name").asText());
        if (v.path("storage").asBoolean()) {
          storage.add(v.path("name").asText());
        }
      }
      assertThat(served).as(s.kindName()).containsExactlyInAnyOrderElementsOf(s.servedVersions());
      assertThat(storage).as(s.kindName()).containsExactly(s.storageVersion());
    }
    // Istio 1.28+: networking and security kinds store v1; EnvoyFilter is v1alpha3 only.
    assertThat(texts(crd(Kind.VIRTUAL_SERVICE).path("spec").path("versions"), "name"))
        .containsExactly("v1", "v1alpha3", "v1beta1");
    assertThat(texts(crd(Kind.PEER_AUTHENTICATION).path("spec").path("versions"), "name"))
        .containsExactly("v1", "v1beta1");
    assertThat(texts(crd(Kind.ENVOY_FILTER).path("spec").path("versions"), "name")).containsExactly("v1alpha3");
  }

  @Test
  void everySchema_isStructural() {
    for (ObjectNode c : CRDS) {
      for (JsonNode v : c.path("spec").path("versions")) {
        assertThat(StructuralSchema.violations(v.path("schema").path("openAPIV3Schema")))
            .as(c.path("metadata").path("name").asText() + " " + v.path("name").asText())
            .isEmpty();
      }
    }
  }

  @Test
  void printerColumns_pointAtFieldsTheSchemaHas() {
    for (ObjectNode c : CRDS) {
      for (JsonNode v : c.path("spec").path("versions")) {
        JsonNode root = v.path("schema").path("openAPIV3Schema");
        for (JsonNode col : v.path("additionalPrinterColumns")) {
          String path = col.path("jsonPath").asText();
          if (path.startsWith(".spec.")) {
            at(root, path.substring(1)); // e.g. spec.mtls.mode
          } else {
            assertThat(path).isEqualTo(".metadata.creationTimestamp");
          }
        }
      }
    }
    assertThat(texts(crd(Kind.SERVICE_ENTRY).path("spec").path("versions").get(0)
        .path("additionalPrinterColumns"), "name")).containsExactly("Hosts", "Location", "Resolution", "Age");
  }

  @Test
  void fieldShapes_followProtoJson() {
    JsonNode dr = storageSpec(Kind.DESTINATION_RULE);
    JsonNode vs = storageSpec(Kind.VIRTUAL_SERVICE);
    // Durations are strings ("5s", "1m"): the validators check their syntax.
    assertThat(at(vs, "http.[].timeout").path("type").asText()).isEqualTo("string");
    // uint32 is a bounded non-negative integer; int32 an int32.
    assertThat(at(vs, "http.[].route.[].destination.port.number"))
        .isEqualTo(json("{\"maximum\":4294967295,\"minimum\":0,\"type\":\"integer\"}"));
    assertThat(at(dr, "trafficPolicy.connectionPool.tcp.maxConnections"))
        .isEqualTo(json("{\"format\":\"int32\",\"type\":\"integer\"}"));
    // Wrappers are their scalar, nullable.
    assertThat(at(dr, "trafficPolicy.outlierDetection.consecutive5xxErrors"))
        .isEqualTo(json("{\"maximum\":4294967295,\"minimum\":0,\"nullable\":true,\"type\":\"integer\"}"));
    // Enums are strings limited to the value names.
    assertThat(texts(at(dr, "trafficPolicy.loadBalancer.simple").path("enum")))
        .contains("UNSPECIFIED", "ROUND_ROBIN", "LEAST_REQUEST");
    // Maps are objects whose values have the value type.
    assertThat(at(dr, "subsets.[].labels.{}").path("type").asText()).isEqualTo("string");
    // Struct keeps whatever it is given.
    assertThat(at(storageSpec(Kind.ENVOY_FILTER), "configPatches.[].patch.value"))
        .isEqualTo(json("{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}"));
    // A oneof allows one of its fields, or none.
    assertThat(at(dr, "trafficPolicy.loadBalancer").path("oneOf").toString())
        .contains("{\"required\":[\"simple\"]}", "{\"required\":[\"consistentHash\"]}", "\"not\"");
    // Fields upstream also accepts in snake_case.
    assertThat(at(storageSpec(Kind.REQUEST_AUTHENTICATION), "jwtRules.[].jwks_uri").path("type").asText())
        .isEqualTo("string");
    assertThat(at(vs, "http.[].mirror_percent").path("nullable").asBoolean()).isTrue();
  }

  @Test
  void statusAndRequiredSpec_matchUpstream() {
    JsonNode root = crd(Kind.SERVICE_ENTRY).path("spec").path("versions").get(0).path("schema").path("openAPIV3Schema");
    assertThat(texts(root.path("required"))).containsExactly("spec");
    assertThat(root.path("properties").path("status").path("x-kubernetes-preserve-unknown-fields").asBoolean())
        .isTrue();
    JsonNode vsRoot = crd(Kind.VIRTUAL_SERVICE).path("spec").path("versions").get(0).path("schema").path("openAPIV3Schema");
    assertThat(vsRoot.has("required")).isFalse();
  }

  @Test
  void recursiveMessage_isCutWhereItRecurs() throws DescriptorValidationException {
    FileDescriptorProto file = FileDescriptorProto.newBuilder()
        .setName("test/tree.proto").setPackage("test").setSyntax("proto3")
        .addMessageType(DescriptorProto.newBuilder().setName("Node")
            .addField(FieldDescriptorProto.newBuilder().setName("node_name").setNumber(1)
                .setType(FieldDescriptorProto.Type.TYPE_STRING).setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL))
            .addField(FieldDescriptorProto.newBuilder().setName("children").setNumber(2)
                .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".test.Node")
                .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED)))
        .build();
    Descriptor node = FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName("Node");

    ObjectNode schema = ProtoOpenApi.schemaOf(node);

    assertThat(at(schema, "nodeName").path("type").asText()).isEqualTo("string");
    assertThat(at(schema, "children.[]"))
        .isEqualTo(json("{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}"));
    assertThat(StructuralSchema.violations(schema)).isEmpty();
  }

  @Test
  void structuralCheck_catchesWhatTheApiserverRejects() {
    JsonNode bad = json("""
        {"type": "object", "properties": {
          "typeless": {"properties": {"a": {"type": "string"}}},
          "list": {"type": "array"},
          "choice": {"type": "object", "oneOf": [{"type": "object", "required": ["x"]}]}}}
        """);
    assertThat(StructuralSchema.violations(bad)).containsExactlyInAnyOrder(
        ".typeless: no type", ".typeless: properties on a non-object", ".list: array without items",
        ".choice/oneOf[0]: type is not allowed inside a junctor");
  }

  @Test
  void output_isDeterministic() {
    assertThat(CrdGenerator.yaml(REGISTRY)).isEqualTo(CrdGenerator.yaml(KindRegistry.istio()));
  }

  private static JsonNode json(String text) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  private static List<String> texts(JsonNode array, String field) {
    return StreamSupport.stream(array.spliterator(), false).map(n -> n.path(field).asText()).toList();
  }
}
