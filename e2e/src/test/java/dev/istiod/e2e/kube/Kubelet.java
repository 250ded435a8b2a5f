package dev.istiod.e2e.kube;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;

/**
 * What a kubelet makes of one container of a Pod as the API server stored it, so a test can run that container's
 * process outside Kubernetes exactly as the Pod spec says: its environment ({@code value}, {@code fieldRef},
 * {@code resourceFieldRef} resolved, {@code $(VAR)} references expanded), its args ({@code $(VAR)} expanded), and
 * its volume mounts laid out under a directory standing for the container's root ({@code emptyDir},
 * {@code configMap}, {@code downwardAPI}, projected {@code serviceAccountToken}s minted for the Pod). What it does
 * not know it refuses with a clear message, so a Pod spec the test cannot reproduce faithfully fails loudly instead
 * of being approximated.
 */
final class Kubelet {
  static final Duration VOLUME_BOUND = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern QUANTITY = Pattern.compile("^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[a-zA-Z]*)$");
  private static final Pattern INDEXED_FIELD = Pattern.compile("^metadata\\.(labels|annotations)\\['(.+)'\\]$");

  private final KubeCluster cluster;
  private final JsonNode pod;

  private Kubelet(KubeCluster cluster, JsonNode pod) {
    this.cluster = cluster;
    this.pod = pod;
  }

  /** The Pod {@code namespace/name} as stored now ({@code kubectl get -o json}). */
  static Kubelet forPod(KubeCluster cluster, String namespace, String name) {
    return new Kubelet(cluster, storedPod(cluster, namespace, name));
  }

  static JsonNode storedPod(KubeCluster cluster, String namespace, String name) {
    try {
      return JSON.readTree(cluster.kubectl("get", "pod", name, "-n", namespace, "-o", "json").stdout());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonNode pod() {
    return pod;
  }

  /** The container named {@code name}, among the Pod's containers or init containers (native sidecars). */
  JsonNode container(String name) {
    for (String list : List.of("containers", "initContainers")) {
      for (JsonNode container : pod.path("spec").path(list)) {
        if (container.path("name").asText().equals(name)) {
          return container;
        }
      }
    }
    throw new AssertionError("the Pod has no container " + name + ": " + pod.path("spec"));
  }

  /** The container's environment, in order, as the kubelet hands it to the process. */
  Map<String, String> env(JsonNode container) {
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode var : container.path("env")) {
      String name = var.path("name").asText();
      String value;
      if (var.has("valueFrom")) {
        JsonNode from = var.path("valueFrom");
        if (from.has("fieldRef")) {
          value = field(from.path("fieldRef").path("fieldPath").asText());
        } else if (from.has("resourceFieldRef")) {
          value = resource(container, from.path("resourceFieldRef"));
        } else {
          throw new AssertionError("env " + name + ": this test's kubelet cannot resolve " + from);
        }
      } else {
        value = expand(var.path("value").asText(""), env);
      }
      env.put(name, value);
    }
    return env;
  }

  /** The container's command and args with {@code $(VAR)} expanded from {@code env}. */
  List<String> commandLine(JsonNode container, Map<String, String> env) {
    List<String> line = new ArrayList<>();
    for (String part : List.of("command", "args")) {
      container.path(part).forEach(arg -> line.add(expand(arg.asText(), env)));
    }
    return line;
  }

  /**
   * Lays out every volume the container mounts under {@code root} (its mount path made relative to root), with
   * the content the kubelet would put there. Waits (bounded) for a ConfigMap that is not optional, as the kubelet
   * holds the container until it exists.
   */
  void mountVolumes(JsonNode container, Path root) {
    for (JsonNode mount : container.path("volumeMounts")) {
      String volumeName = mount.path("name").asText();
      if (mount.has("subPath")) {
        throw new AssertionError("volume mount " + volumeName + ": subPath is not supported by this test's kubelet");
      }
      JsonNode volume = StreamSupport.stream(pod.path("spec").path("volumes").spliterator(), false)
          .filter(v -> v.path("name").asText().equals(volumeName)).findFirst()
          .orElseThrow(() -> new AssertionError("volume mount " + volumeName + " names no volume of the Pod"));
      Path dir = root.resolve(mount.path("mountPath").asText().replaceFirst("^/+", ""));
      try {
        Files.createDirectories(dir);
        materialize(volume, dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot lay out volume " + volumeName + " at " + dir, e);
      }
    }
  }

  private void materialize(JsonNode volume, Path dir) throws IOException {
    String name = volume.path("name").asText();
    if (volume.has("emptyDir")) {
      return;
    }
    if (volume.has("configMap")) {
      writeConfigMap(volume.path("configMap"), dir);
    } else if (volume.has("downwardAPI")) {
      writeDownwardApi(volume.path("downwardAPI").path("items"), dir);
    } else if (volume.has("projected")) {
      for (JsonNode source : volume.path("projected").path("sources")) {
        if (source.has("serviceAccountToken")) {
          JsonNode token = source.path("serviceAccountToken");
          Files.writeString(dir.resolve(token.path("path").asText()), token(token), StandardCharsets.UTF_8);
        } else if (source.has("configMap")) {
          writeConfigMap(source.path("configMap"), dir);
        } else if (source.has("downwardAPI")) {
          writeDownwardApi(source.path("downwardAPI").path("items"), dir);
        } else {
          throw new AssertionError("volume " + name + ": this test's kubelet cannot project " + source);
        }
      }
    } else {
      throw new AssertionError("volume " + name + ": this test's kubelet does not know its type: " + volume);
    }
  }

  /** A token for the Pod's service account, bound to the Pod, as the kubelet requests it for a projected volume. */
  private String token(JsonNode source) {
    JsonNode meta = pod.path("metadata");
    List<String> args = new ArrayList<>(List.of("create", "token", pod.path("spec").path("serviceAccountName").asText(),
        "-n", meta.path("namespace").asText(), "--bound-object-kind", "Pod",
        "--bound-object-name", meta.path("name").asText(), "--bound-object-uid", meta.path("uid").asText()));
    if (source.hasNonNull("audience") && !source.path("audience").asText().isEmpty()) {
      args.addAll(List.of("--audience", source.path("audience").asText()));
    }
    if (source.has("expirationSeconds")) {
      args.addAll(List.of("--duration", source.path("expirationSeconds").asLong() + "s"));
    }
    return cluster.kubectl(args.toArray(String[]::new)).stdout().strip();
  }

  private void writeConfigMap(JsonNode ref, Path dir) throws IOException {
    String name = ref.path("name").asText();
    String namespace = pod.path("metadata").path("namespace").asText();
    boolean optional = ref.path("optional").asBoolean(false);
    JsonNode data;
    if (optional) {
      Command.Result result = cluster.tryKubectl("get", "configmap", name, "-n", namespace, "-o", "json");
      if (!result.ok()) {
        return; // an optional ConfigMap that does not exist: an empty directory
      }
      data = JSON.readTree(result.stdout()).path("data");
    } else {
      String json = await("ConfigMap " + namespace + "/" + name + " for the Pod's volume")
          .atMost(VOLUME_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .until(() -> cluster.tryKubectl("get", "configmap", name, "-n", namespace, "-o", "json"), Command.Result::ok)
          .stdout();
      data = JSON.readTree(json).path("data");
    }
    if (ref.has("items")) {
      for (JsonNode item : ref.path("items")) {
        Files.writeString(dir.resolve(item.path("path").asText()), data.path(item.path("key").asText()).asText(),
            StandardCharsets.UTF_8);
      }
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      Files.writeString(dir.resolve(entry.getKey()), entry.getValue().asText(), StandardCharsets.UTF_8);
    }
  }

  private void writeDownwardApi(JsonNode items, Path dir) throws IOException {
    for (JsonNode item : items) {
      String path = item.path("path").asText();
      if (!item.has("fieldRef")) {
        throw new AssertionError("downwardAPI item " + path + ": this test's kubelet knows fieldRef only");
      }
      String fieldPath = item.path("fieldRef").path("fieldPath").asText();
      String content = switch (fieldPath) {
        case "metadata.labels", "metadata.annotations" -> downwardMap(pod.path("metadata").path(
            fieldPath.substring("metadata.".length())));
        default -> field(fieldPath);
      };
      Files.writeString(dir.resolve(path), content, StandardCharsets.UTF_8);
    }
  }

  /** The kubelet's format for a map in a downward API file: {@code key="value"} lines sorted by key, Go-quoted. */
  private static String downwardMap(JsonNode map) {
    TreeMap<String, String> sorted = new TreeMap<>();
    map.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().asText()));
    StringBuilder out = new StringBuilder();
    sorted.forEach((key, value) -> {
      if (!out.isEmpty()) {
        out.append('\n');
      }
      out.append(key).append('=').append(goQuote(value));
    });
    return out.toString();
  }

  private static String goQuote(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\x%02x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** A fieldRef's value (the fields the downward API allows for env). */
  private String field(String fieldPath) {
    JsonNode meta = pod.path("metadata");
    JsonNode status = pod.path("status");
    Matcher indexed = INDEXED_FIELD.matcher(fieldPath);
    if (indexed.matches()) {
      return meta.path(indexed.group(1)).path(indexed.group(2)).asText("");
    }
    return switch (fieldPath) {
      case "metadata.name" -> meta.path("name").asText();
      case "metadata.namespace" -> meta.path("namespace").asText();
      case "metadata.uid" -> meta.path("uid").asText();
      case "spec.nodeName" -> pod.path("spec").path("nodeName").asText("");
      case "spec.serviceAccountName" -> pod.path("spec").path("serviceAccountName").asText("");
      case "status.podIP" -> status.path("podIP").asText("");
      case "status.hostIP" -> status.path("hostIP").asText("");
      case "status.podIPs" -> String.join(",", StreamSupport.stream(status.path("podIPs").spliterator(), false)
          .map(ip -> ip.path("ip").asText()).toList());
      case "status.hostIPs" -> String.join(",", StreamSupport.stream(status.path("hostIPs").spliterator(), false)
          .map(ip -> ip.path("ip").asText()).toList());
      default -> throw new AssertionError("fieldRef " + fieldPath + " is not one this test's kubelet resolves");
    };
  }

  /**
   * A resourceFieldRef's value as the kubelet computes it: the container's limit or request divided by the
   * divisor (unset or 0 mean 1) and rounded up; CPU in cores, memory in bytes. A missing limit would be the node's
   * allocatable, which the test's nodes do not have.
   */
  private static String resource(JsonNode container, JsonNode ref) {
    String resource = ref.path("resource").asText();
    String[] parts = resource.split("\\.", 2);
    if (parts.length != 2 || !List.of("limits", "requests").contains(parts[0])) {
      throw new AssertionError("resourceFieldRef " + resource + " is not one this test's kubelet resolves");
    }
    JsonNode quantity = container.path("resources").path(parts[0]).path(parts[1]);
    if (quantity.isMissingNode()) {
      throw new AssertionError("resourceFieldRef " + resource + ": the container sets no " + resource
          + " (the kubelet would use the node's allocatable, which the test's nodes do not report)");
    }
    // The API server stores an unset divisor as "0", which the kubelet reads as 1.
    BigDecimal divisor = quantity(ref.has("divisor") ? ref.path("divisor").asText() : "1");
    if (divisor.signum() == 0) {
      divisor = BigDecimal.ONE;
    }
    return quantity(quantity.asText()).divide(divisor, 0, RoundingMode.CEILING).toPlainString();
  }

  /** A Kubernetes quantity ("2000m", "1024Mi", "1.5", "1e3") as a number. */
  static BigDecimal quantity(String text) {
    Matcher m = QUANTITY.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a Kubernetes quantity: " + text);
    }
    BigDecimal number = new BigDecimal(m.group(1));
    String suffix = m.group(2);
    if (suffix.startsWith("e") || suffix.startsWith("E")) {
      return number.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
    }
    return switch (suffix) {
      case "" -> number;
      case "m" -> number.scaleByPowerOfTen(-3);
      case "k" -> number.scaleByPowerOfTen(3);
      case "M" -> number.scaleByPowerOfTen(6);
      case "G" -> number.scaleByPowerOfTen(9);
      case "T" -> number.scaleByPowerOfTen(12);
      case "P" -> number.scaleByPowerOfTen(15);
      case "E" -> number.scaleByPowerOfTen(18);
      case "Ki" -> number.multiply(BigDecimal.valueOf(1L << 10));
      case "Mi" -> number.multiply(BigDecimal.valueOf(1L << 20));
      case "Gi" -> number.multiply(BigDecimal.valueOf(1L << 30));
      case "Ti" -> number.multiply(BigDecimal.valueOf(1L << 40));
      case "Pi" -> number.multiply(BigDecimal.valueOf(1L << 50));
      case "Ei" -> number.multiply(BigDecimal.valueOf(1L << 60));
      default -> throw new IllegalArgumentException("unknown quantity suffix in " + text);
    };
  }

  /** The kubelet's {@code $(VAR)} expansion: known variables replaced, unknown ones kept, {@code $$} is "$". */
  static String expand(String input, Map<String, String> env) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < input.length()) {
      char c = input.charAt(i);
      if (c == '$' && i + 1 < input.length()) {
        char next = input.charAt(i + 1);
        if (next == '$') {
          out.append('$');
          i += 2;
          continue;
        }
        if (next == '(') {
          int close = input.indexOf(')', i + 2);
          if (close > 0) {
            String name = input.substring(i + 2, close);
            out.append(env.containsKey(name) ? env.get(name) : input.substring(i, close + 1));
            i = close + 1;
            continue;
          }
        }
      }
      out.append(c);
      i++;
    }
    return out.toString();
  }
}
