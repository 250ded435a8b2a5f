package dev.istiod.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Multi-document YAML (a rendering, the CRD file) as Kubernetes objects. */
final class Manifests {
  private static final YAMLFactory YAML = new YAMLFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper(YAML);

  private Manifests() {}

  static List<ObjectNode> parse(String yaml) {
    List<ObjectNode> objects = new ArrayList<>();
    try (YAMLParser parser = YAML.createParser(yaml)) {
      for (JsonNode node : MAPPER.readValues(parser, JsonNode.class).readAll()) {
        if (node instanceof ObjectNode object && object.has("kind")) {
          objects.add(object);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("not YAML: " + e.getMessage(), e);
    }
    return objects;
  }

  static List<ObjectNode> ofKind(List<ObjectNode> objects, String kind) {
    return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
  }

  static Optional<ObjectNode> find(List<ObjectNode> objects, String kind, String name) {
    return ofKind(objects, kind).stream().filter(o -> name.equals(name(o))).findFirst();
  }

  static String name(JsonNode object) {
    return object.path("metadata").path("name").asText();
  }
}
