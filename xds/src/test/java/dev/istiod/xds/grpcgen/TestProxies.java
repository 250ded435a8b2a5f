package dev.istiod.xds.grpcgen;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.model.Proxy;
import io.envoyproxy.envoy.config.core.v3.Node;

/** Proxies as a proxyless gRPC client or a sidecar announces itself. */
final class TestProxies {
  private TestProxies() {}

  /** A proxyless client in {@code default}, as Istio's grpc-agent bootstrap writes it. */
  static Proxy grpcClient() {
    return Proxy.fromNode(node("sidecar~10.0.0.1~client.default~default.svc.cluster.local", "grpc"));
  }

  static Proxy sidecar() {
    return Proxy.fromNode(node("sidecar~10.0.0.2~app.default~default.svc.cluster.local", ""));
  }

  static Node node(String id, String generator) {
    Struct.Builder meta = Struct.newBuilder().putFields("NAMESPACE", Value.newBuilder().setStringValue("default").build());
    if (!generator.isEmpty()) {
      meta.putFields("GENERATOR", Value.newBuilder().setStringValue(generator).build());
    }
    return Node.newBuilder().setId(id).setMetadata(meta).build();
  }
}
