package dev.istiod.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.configstore.ConfigDecoder;
import dev.istiod.configstore.DecodeMode;
import dev.istiod.configstore.DecodeResult;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Environment;
import dev.istiod.model.MeshConfigs;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.serviceregistry.serviceentry.ServiceEntryRegistry;
import io.envoyproxy.envoy.config.core.v3.Node;

/**
 * A mesh of a given {@link Shape}, built the way istiod builds one from config files: Istio YAML
 * decoded and validated by the strict decoder into a memory store, services and endpoints from
 * the real ServiceEntry registry, and a sidecar proxy in the first namespace that imports every
 * service (no Sidecar resource).
 *
 * <p>Every service has three ports — {@code http} 8080, {@code grpc} 9090 and {@code tcp} 5432 —
 * a VIP and two endpoints labelled {@code version: v1} / {@code v2}. The first
 * {@code virtualServices} services get a VirtualService (a header match to subset v2, then a
 * 90/10 split of v1/v2); the first {@code destinationRules} a DestinationRule (LEAST_REQUEST,
 * subsets v1 and v2, v2 with consistent hashing on a header). Services are spread round-robin over
 * {@code namespaces} namespaces.
 */
public final class SyntheticMesh {
  /** How big the mesh is. */
  public record Shape(int services, int virtualServices, int destinationRules, int namespaces) {
    public Shape {
      if (services < 1 || namespaces < 1 || services > 65_000) {
        throw new IllegalArgumentException("need 1..65000 services and at least one namespace: " + services);
      }
      if (virtualServices > services || destinationRules > services) {
        throw new IllegalArgumentException("more VirtualServices or DestinationRules than services");
      }
    }

    /** The issue's benchmark: 1,000 services × 3 ports, 500 VirtualServices, 500 DestinationRules. */
    public static Shape issueScale() {
      return new Shape(1000, 500, 500, 10);
    }
  }

  private final Shape shape;
  private final Environment env;
  private final Proxy proxy;

  private SyntheticMesh(Shape shape, Environment env, Proxy proxy) {
    this.shape = shape;
    this.env = env;
    this.proxy = proxy;
  }

  public static SyntheticMesh build(Shape shape) {
    DecodeResult decoded = new ConfigDecoder(KindRegistry.istio(), DecodeMode.STRICT)
        .decodeYaml(yaml(shape), "synthetic-mesh.yaml");
    if (decoded.hasErrors()) {
      throw new IllegalStateException("synthetic mesh does not validate: " + decoded.errors());
    }
    MemoryConfigStore store = new MemoryConfigStore(KindRegistry.istio());
    decoded.configs().forEach(store::create);
    MeshConfig mesh = MeshConfigs.parse("");
    EndpointIndex endpoints = new EndpointIndex();
    ServiceEntryRegistry registry = new ServiceEntryRegistry(store, endpoints, request -> { },
        ServiceEntryRegistry.Options.defaults().withMesh(() -> mesh).withExecutor(Runnable::run));
    registry.start();
    Environment env = new Environment(store, registry, endpoints, () -> mesh, "cluster.local");
    return new SyntheticMesh(shape, env, sidecar(namespace(0, shape)));
  }

  public Shape shape() {
    return shape;
  }

  public Environment environment() {
    return env;
  }

  /** The sidecar under test: a workload in the first namespace with iptables capture. */
  public Proxy proxy() {
    return proxy;
  }

  /** A full push context, as after a config change. */
  public PushContext push() {
    return PushContext.build(env, "bench", null, PushRequest.forced(TriggerReason.GLOBAL));
  }

  static String host(int i, Shape shape) {
    return "svc-" + i + "." + namespace(i, shape) + ".svc.cluster.local";
  }

  static String namespace(int i, Shape shape) {
    return "ns-" + (i % shape.namespaces());
  }

  /** The mesh as Istio YAML, one document per object. */
  static String yaml(Shape shape) {
    StringBuilder y = new StringBuilder(shape.services() * 900);
    for (int i = 0; i < shape.services(); i++) {
      serviceEntry(y, i, shape);
    }
    for (int i = 0; i < shape.destinationRules(); i++) {
      destinationRule(y, i, shape);
    }
    for (int i = 0; i < shape.virtualServices(); i++) {
      virtualService(y, i, shape);
    }
    return y.toString();
  }

  private static void serviceEntry(StringBuilder y, int i, Shape shape) {
    String suffix = (i / 250) + "." + (i % 250 + 1);
    y.append("---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\n")
        .append("metadata: {name: svc-").append(i).append(", namespace: ").append(namespace(i, shape)).append("}\n")
        .append("spec:\n  hosts: [").append(host(i, shape)).append("]\n")
        .append("  addresses: [10.96.").append(suffix).append("]\n")
        .append("  location: MESH_INTERNAL\n  resolution: STATIC\n  ports:\n")
        .append("  - {number: 8080, name: http, protocol: HTTP}\n")
        .append("  - {number: 9090, name: grpc, protocol: GRPC}\n")
        .append("  - {number: 5432, name: tcp, protocol: TCP}\n")
        .append("  endpoints:\n")
        .append("  - {address: 10.1.").append(suffix).append(", labels: {version: v1}}\n")
        .append("  - {address: 10.2.").append(suffix).append(", labels: {version: v2}}\n");
  }

  private static void destinationRule(StringBuilder y, int i, Shape shape) {
    y.append("---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n")
        .append("metadata: {name: svc-").append(i).append(", namespace: ").append(namespace(i, shape)).append("}\n")
        .append("spec:\n  host: ").append(host(i, shape)).append('\n')
        .append("  trafficPolicy:\n    loadBalancer: {simple: LEAST_REQUEST}\n")
        .append("  subsets:\n  - name: v1\n    labels: {version: v1}\n")
        .append("  - name: v2\n    labels: {version: v2}\n")
        .append("    trafficPolicy:\n      loadBalancer:\n        consistentHash: {httpHeaderName: end-user}\n");
  }

  private static void virtualService(StringBuilder y, int i, Shape shape) {
    String host = host(i, shape);
    y.append("---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n")
        .append("metadata: {name: svc-").append(i).append(", namespace: ").append(namespace(i, shape)).append("}\n")
        .append("spec:\n  hosts: [").append(host).append("]\n  http:\n")
        .append("  - name: canary-user\n    match:\n    - headers:\n        end-user: {exact: user-").append(i)
        .append("}\n    route:\n    - destination: {host: ").append(host).append(", subset: v2}\n")
        .append("  - name: split\n    route:\n")
        .append("    - destination: {host: ").append(host).append(", subset: v1}\n      weight: 90\n")
        .append("    - destination: {host: ").append(host).append(", subset: v2}\n      weight: 10\n");
  }

  private static Proxy sidecar(String namespace) {
    return sidecar(namespace, 0);
  }

  /**
   * Another client in the same namespace as {@link #proxy()}: its own pod, IP and {@code app} label, so it
   * shares with the first only what proxies of one namespace share.
   */
  public Proxy otherClient(int n) {
    return sidecar(proxy.configNamespace(), n);
  }

  private static Proxy sidecar(String namespace, int n) {
    String ip = "10.250." + (n / 250) + "." + (10 + n % 250);
    Struct.Builder md = Struct.newBuilder()
        .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
        .putFields("INSTANCE_IPS", Value.newBuilder().setStringValue(ip).build())
        .putFields("LABELS", Value.newBuilder().setStructValue(Struct.newBuilder()
            .putFields("app", Value.newBuilder().setStringValue(n == 0 ? "client" : "client-" + n).build())).build());
    Node node = Node.newBuilder().setId("sidecar~" + ip + "~client-" + n + "." + namespace + "~" + namespace
        + ".svc.cluster.local").setMetadata(md).build();
    return Proxy.fromNode(node);
  }
}
