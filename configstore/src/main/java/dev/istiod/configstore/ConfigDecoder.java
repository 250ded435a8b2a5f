package dev.istiod.configstore;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.ProtoYaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Turns Kubernetes-style Istio objects (YAML, possibly multi-document, or JSON) into
 * {@link Config}s. Decoding only: whether an object is valid is its kind's validator's call.
 *
 * <p>A bad document never stops the others: each error is returned with the file, the document
 * index and as much of the object's identity as could be read. Immutable and thread-safe.
 */
public final class ConfigDecoder {
  /** Like kubectl: an object without a namespace lands in {@code default}. */
  public static final String DEFAULT_NAMESPACE = "default";

  private final KindRegistry registry;
  private final DecodeMode mode;
  private final ObjectMapper yaml;
  private final ObjectMapper json;
  private final JsonFormat.Parser specParser;
  private final ObjectMetaReader metaReader;

  public ConfigDecoder(KindRegistry registry, DecodeMode mode) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.mode = Objects.requireNonNull(mode, "mode");
    boolean strict = mode == DecodeMode.STRICT;
    this.yaml = YAMLMapper.builder().configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, strict).build();
    this.json = JsonMapper.builder().configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, strict).build();
    this.specParser = strict ? JsonFormat.parser() : JsonFormat.parser().ignoringUnknownFields();
    this.metaReader = new ObjectMetaReader(strict);
  }

  public DecodeMode mode() {
    return mode;
  }

  /** Reads a {@code .json} file as JSON and anything else as (multi-document) YAML. */
  public DecodeResult decodeFile(Path file) {
    String source = file.toString();
    String content;
    try {
      content = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(Files.readAllBytes(file)))
          .toString();
    } catch (CharacterCodingException e) {
      return failed(source, "file is not UTF-8 text");
    } catch (IOException e) {
      return failed(source, "cannot read file: " + e);
    }
    return source.toLowerCase(Locale.ROOT).endsWith(".json") ? decodeJson(content, source) : decodeYaml(content, source);
  }

  private static DecodeResult failed(String source, String message) {
    return new DecodeResult(List.of(), List.of(new ConfigError(source, -1, ObjectRef.UNKNOWN, message)));
  }

  /** Decodes every document of a YAML text; {@code source} names it in errors and origins. */
  public DecodeResult decodeYaml(String content, String source) {
    List<Config> configs = new ArrayList<>();
    List<ConfigError> errors = new ArrayList<>();
    for (YamlDocuments.Document doc : YamlDocuments.split(content)) {
      if (doc.isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = yaml.readTree(doc.text());
      } catch (JsonProcessingException e) {
        errors.add(new ConfigError(source, doc.index(), ObjectRef.UNKNOWN,
            "malformed YAML: " + describe(e, doc.firstLine())));
        continue;
      }
      decodeDocument(node, source, doc.index(), configs, errors);
    }
    return new DecodeResult(configs, errors);
  }

  /** Decodes a JSON text: one object, a {@code List} object, or an array of objects. */
  public DecodeResult decodeJson(String content, String source) {
    List<Config> configs = new ArrayList<>();
    List<ConfigError> errors = new ArrayList<>();
    JsonNode node;
    try {
      node = json.readTree(content);
    } catch (JsonProcessingException e) {
      return failed(source, "malformed JSON: " + describe(e, 1));
    }
    if (node != null && node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        decodeDocument(node.get(i), source, i, configs, errors);
      }
    } else {
      decodeDocument(node, source, 0, configs, errors);
    }
    return new DecodeResult(configs, errors);
  }

  private void decodeDocument(JsonNode node, String source, int index, List<Config> configs,
      List<ConfigError> errors) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      return; // an empty document
    }
    if (!node.isObject()) {
      errors.add(new ConfigError(source, index, ObjectRef.UNKNOWN,
          "expected an object, found " + node.getNodeType().name().toLowerCase(Locale.ROOT)));
      return;
    }
    String origin = source + "#" + index;
    if ("List".equals(node.path("kind").asText()) && node.path("items").isArray()) {
      for (JsonNode item : node.get("items")) {
        decodeOne(item, origin, source, index, configs, errors);
      }
      return;
    }
    decodeOne(node, origin, source, index, configs, errors);
  }

  private void decodeOne(JsonNode node, String origin, String source, int index, List<Config> configs,
      List<ConfigError> errors) {
    try {
      configs.add(decodeObject(node, origin, DEFAULT_NAMESPACE));
    } catch (ConfigDecodeException e) {
      errors.add(new ConfigError(source, index, e.object(), e.reason()));
    }
  }

  /** {@link #decodeObject(JsonNode, String, String)} with the {@code default} namespace. */
  public Config decodeObject(JsonNode object, String origin) throws ConfigDecodeException {
    return decodeObject(object, origin, DEFAULT_NAMESPACE);
  }

  /**
   * Decodes one object, e.g. the {@code object} of an AdmissionReview or a watched resource.
   *
   * @param origin recorded as the config's {@link ConfigMeta#origin()}
   * @param defaultNamespace used when {@code metadata.namespace} is absent
   */
  public Config decodeObject(JsonNode object, String origin, String defaultNamespace)
      throws ConfigDecodeException {
    if (object == null || !object.isObject()) {
      throw new ConfigDecodeException(ObjectRef.UNKNOWN, "expected an object");
    }
    String apiVersion = object.path("apiVersion").asText("");
    String kind = object.path("kind").asText("");
    JsonNode metadata = object.path("metadata");
    ObjectRef ref = new ObjectRef(apiVersion, kind,
        metadata.path("namespace").asText(defaultNamespace), metadata.path("name").asText(""));
    if (apiVersion.isEmpty()) {
      throw new ConfigDecodeException(ref, "apiVersion is required");
    }
    if (kind.isEmpty()) {
      throw new ConfigDecodeException(ref, "kind is required");
    }
    KindSchema schema;
    try {
      schema = registry.lookup(apiVersion, kind);
    } catch (UnknownKindException e) {
      throw new ConfigDecodeException(ref, e.getMessage());
    }
    if (mode == DecodeMode.STRICT) {
      for (String field : iterable(object.fieldNames())) {
        if (!ObjectMetaReader.TOP_LEVEL_FIELDS.contains(field)) {
          throw new ConfigDecodeException(ref, "unknown field \"" + field + "\"");
        }
      }
    }
    ConfigMeta meta = metaReader.read(metadata, ref, origin, defaultNamespace);
    Message spec = decodeSpec(object.get("spec"), schema, ref);
    return new Config(schema.kind(), meta, spec);
  }

  private Message decodeSpec(JsonNode specNode, KindSchema schema, ObjectRef ref) throws ConfigDecodeException {
    Message.Builder builder = schema.defaultSpec().newBuilderForType();
    if (specNode == null || specNode.isNull()) {
      return builder.build();
    }
    if (!specNode.isObject()) {
      throw new ConfigDecodeException(ref, "spec must be an object");
    }
    ObjectNode spec = ((ObjectNode) specNode).deepCopy();
    List<String> valueErrors = ProtoYaml.normalize(spec, builder.getDescriptorForType(), "spec");
    if (!valueErrors.isEmpty()) {
      throw new ConfigDecodeException(ref, String.join("; ", valueErrors));
    }
    try {
      specParser.merge(json.writeValueAsString(spec), builder);
    } catch (InvalidProtocolBufferException | RuntimeException | JsonProcessingException e) {
      throw new ConfigDecodeException(ref, "spec: " + e.getMessage());
    }
    return builder.build();
  }

  /** A one-line parse error with the line and column in the whole file. */
  private static String describe(JsonProcessingException e, int firstLine) {
    if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
      String context = y.getContext() == null ? "" : y.getContext()
          + (y.getContextMark() == null ? "" : at(firstLine, y.getContextMark())) + ": ";
      return context + y.getProblem() + at(firstLine, y.getProblemMark());
    }
    JsonLocation loc = e.getLocation();
    String msg = e.getOriginalMessage().lines().findFirst().orElse("");
    if (loc == null || loc.getLineNr() < 1) {
      return msg;
    }
    return msg + " (line " + (firstLine + loc.getLineNr() - 1) + ", column " + loc.getColumnNr() + ")";
  }

  private static String at(int firstLine, org.yaml.snakeyaml.error.Mark mark) {
    return " (line " + (firstLine + mark.getLine()) + ", column " + (mark.getColumn() + 1) + ")";
  }

  private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
    return () -> it;
  }
}
