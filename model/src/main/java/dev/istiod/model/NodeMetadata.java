package dev.istiod.model;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Typed view of the Envoy node metadata that pilot-agent writes (ISTIO-COMPAT §3). Keys are
 * upstream's; booleans arrive as the strings "true"/"false", INSTANCE_IPS as a comma-joined
 * string, LABELS as an object.
 */
public record NodeMetadata(Struct raw) {
  public static final NodeMetadata EMPTY = new NodeMetadata(Struct.getDefaultInstance());

  public NodeMetadata {
    raw = raw == null ? Struct.getDefaultInstance() : raw;
  }

  /** A string field, or "" when absent or not a string/number/bool. */
  public String string(String key) {
    Value v = raw.getFieldsMap().get(key);
    if (v == null) {
      return "";
    }
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        yield d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
      }
      default -> "";
    };
  }

  public boolean bool(String key) {
    return "true".equalsIgnoreCase(string(key));
  }

  /** An object field of string values (LABELS, ANNOTATIONS), in key order. */
  public Map<String, String> stringMap(String key) {
    Value v = raw.getFieldsMap().get(key);
    if (v == null || !v.hasStructValue()) {
      return Map.of();
    }
    Map<String, String> out = new TreeMap<>();
    v.getStructValue().getFieldsMap().forEach((k, val) -> {
      if (val.hasStringValue()) {
        out.put(k, val.getStringValue());
      }
    });
    return Map.copyOf(out);
  }

  /** An object field as a Struct (PROXY_CONFIG), or empty. */
  public Struct struct(String key) {
    Value v = raw.getFieldsMap().get(key);
    return v != null && v.hasStructValue() ? v.getStructValue() : Struct.getDefaultInstance();
  }

  public String namespace() {
    return string("NAMESPACE");
  }

  public String serviceAccount() {
    return string("SERVICE_ACCOUNT");
  }

  public Map<String, String> labels() {
    return stringMap("LABELS");
  }

  public List<String> instanceIps() {
    String s = string("INSTANCE_IPS");
    return s.isBlank() ? List.of() : Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  /** REDIRECT (default), TPROXY or NONE. */
  public String interceptionMode() {
    String s = string("INTERCEPTION_MODE");
    return s.isEmpty() ? "REDIRECT" : s;
  }

  public String clusterId() {
    return string("CLUSTER_ID");
  }

  public String network() {
    return string("NETWORK");
  }

  public String workloadName() {
    return string("WORKLOAD_NAME");
  }

  public String istioVersion() {
    return string("ISTIO_VERSION");
  }

  /** Which generator set the proxy asks for; {@code grpc} for proxyless gRPC clients. */
  public String generator() {
    return string("GENERATOR");
  }

  public Struct proxyConfig() {
    return struct("PROXY_CONFIG");
  }
}
