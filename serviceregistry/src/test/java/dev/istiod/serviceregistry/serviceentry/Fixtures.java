package dev.istiod.serviceregistry.serviceentry;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import dev.istiod.model.NodeType;
import dev.istiod.model.Proxy;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Builds configs from the JSON form of Istio specs, so tests read like the YAML users write. */
final class Fixtures {
  private Fixtures() {}

  static Config serviceEntry(String namespace, String name, String json) {
    return config(Kind.SERVICE_ENTRY, namespace, name, Map.of(), Instant.EPOCH, parse(json, ServiceEntry.newBuilder()));
  }

  static Config serviceEntry(String namespace, String name, Instant created, String json) {
    return config(Kind.SERVICE_ENTRY, namespace, name, Map.of(), created, parse(json, ServiceEntry.newBuilder()));
  }

  static Config workloadEntry(String namespace, String name, String json) {
    return workloadEntry(namespace, name, Map.of(), json);
  }

  static Config workloadEntry(String namespace, String name, Map<String, String> metaLabels, String json) {
    return config(Kind.WORKLOAD_ENTRY, namespace, name, metaLabels, Instant.EPOCH,
        parse(json, WorkloadEntry.newBuilder()));
  }

  static Proxy sidecar(String namespace, List<String> ips, Map<String, String> labels) {
    String id = "app-1." + namespace;
    return new Proxy(NodeType.SIDECAR, id, "sidecar~" + ips.get(0) + "~" + id + "~" + namespace + ".svc.cluster.local",
        ips, namespace + ".svc.cluster.local", namespace, null, labels, null, null, null);
  }

  private static Config config(Kind kind, String namespace, String name, Map<String, String> labels,
      Instant created, Message spec) {
    ConfigMeta meta = new ConfigMeta(name, namespace, labels, Map.of(), "1", 1, created, "test/" + name + ".yaml");
    return new Config(kind, meta, spec);
  }

  private static Message parse(String json, Message.Builder builder) {
    try {
      JsonFormat.parser().merge(json, builder);
      return builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
