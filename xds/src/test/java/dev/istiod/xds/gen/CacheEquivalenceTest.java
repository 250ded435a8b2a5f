package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.model.Config;
import dev.istiod.model.Kind;
import dev.istiod.model.Locality;
import dev.istiod.model.NodeMetadata;
import dev.istiod.model.NodeType;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.cache.XdsCache;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The xDS cache never changes what a proxy receives: for every golden scenario, a family of proxies that
 * differ in exactly the facts generators read (labels, locality, namespace, IP family, Envoy extensions,
 * agent metadata, network, node type) is served CDS, EDS, LDS and RDS through one shared cache and without
 * it, byte for byte equal, and again after each step of a seeded random sequence of config edits (deletes,
 * restores, and edits that drop a repeated field or clear a field of a spec) — with push contexts rebuilt
 * the way production rebuilds them (reusing the indexes an edit did not touch), or not rebuilt at all, as
 * between an endpoint change and the next full push. A key that misses an input fails here.
 */
class CacheEquivalenceTest {
  private static final int STEPS = 4;
  /** Proxies compared after each edit (all of them before the first). */
  private static final int PROXIES_PER_STEP = 4;
  private static final long SEED = Long.getLong("cache.seed", 20261207L);

  static Stream<String> scenarios() throws IOException {
    return GoldenTest.scenarios();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void cachedOutput_equalsUncached_acrossProxiesAndEdits(String name) throws IOException {
    Scenario scenario = Scenario.parse(Files.readString(GoldenTest.ROOT.resolve(name).resolve("input.yaml")));
    Random random = new Random(SEED ^ name.hashCode());
    XdsCache cache = XdsCache.create(XdsCache.DEFAULT_MAX_ENTRIES, null);
    Map<String, XdsGenerator> cached = Generators.envoy(cache);
    Map<String, XdsGenerator> uncached = Generators.envoy();
    List<Proxy> proxies = variants(scenario.proxy);
    List<Config> deleted = new ArrayList<>();

    PushContext push = PushContext.build(scenario.env, "v0", null, PushRequest.forced(TriggerReason.GLOBAL));
    PushContext previous = push;
    for (int step = 0; step <= STEPS; step++) {
      List<Proxy> order = new ArrayList<>(proxies);
      java.util.Collections.shuffle(order, random);
      for (Proxy p : step == 0 ? order : order.subList(0, PROXIES_PER_STEP)) {
        // Now and then a proxy is served from the snapshot before the newest, as a lagging connection is.
        PushContext context = random.nextInt(5) == 0 ? previous : push;
        compare(name, "step " + step, p, context, cached, uncached);
      }
      if (step == STEPS) {
        break;
      }
      String edit = edit(scenario, random, deleted);
      if (edit == null || random.nextInt(5) == 0) {
        continue; // an endpoint-only change, or none: the snapshot stays
      }
      previous = push;
      push = PushContext.build(scenario.env, "v" + (step + 1), push,
          PushRequest.full(TriggerReason.CONFIG, lastEdited));
    }
    assertThat(cache.hits()).as("proxies of the same kind share output").isPositive();
  }

  private Set<dev.istiod.model.ConfigKey> lastEdited = Set.of();

  /** Applies one random edit; returns a description, or null when nothing could be edited. */
  private String edit(Scenario s, Random random, List<Config> deleted) {
    List<Config> all = new ArrayList<>();
    for (Kind k : Kind.values()) {
      try {
        all.addAll(s.store.list(k));
      } catch (RuntimeException e) {
        // a kind this store does not hold
      }
    }
    int op = random.nextInt(4);
    if (op == 0 && !deleted.isEmpty()) {
      Config back = deleted.remove(random.nextInt(deleted.size()));
      s.store.create(back);
      lastEdited = Set.of(back.key());
      return "restore " + back.key();
    }
    if (all.isEmpty()) {
      return null;
    }
    Config c = all.get(random.nextInt(all.size()));
    lastEdited = Set.of(c.key());
    if (op == 1) {
      s.store.delete(c.key());
      deleted.add(c);
      return "delete " + c.key();
    }
    Message spec = mutate(c.spec(), random);
    try {
      s.store.update(new Config(c.kind(), c.meta(), spec));
    } catch (RuntimeException refused) {
      return null; // the store refused the edit (a required field cleared): nothing changed
    }
    return "mutate " + c.key();
  }

  /** Drops the last element of a random repeated field, or clears a random set field, at any depth. */
  static Message mutate(Message spec, Random random) {
    List<FieldDescriptor> set = new ArrayList<>(spec.getAllFields().keySet());
    if (set.isEmpty()) {
      return spec;
    }
    FieldDescriptor f = set.get(random.nextInt(set.size()));
    Message.Builder b = spec.toBuilder();
    if (f.isRepeated()) {
      int n = spec.getRepeatedFieldCount(f);
      Object last = spec.getRepeatedField(f, n - 1);
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField() && random.nextBoolean()) {
        b.setRepeatedField(f, n - 1, mutate((Message) last, random)); // go deeper instead
      } else {
        List<Object> kept = new ArrayList<>();
        for (int i = 0; i < n - 1; i++) {
          kept.add(spec.getRepeatedField(f, i));
        }
        b.clearField(f);
        kept.forEach(v -> b.addRepeatedField(f, v));
      }
    } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && random.nextBoolean()) {
      b.setField(f, mutate((Message) spec.getField(f), random));
    } else {
      b.clearField(f);
    }
    return b.build();
  }

  private static void compare(String scenario, String when, Proxy proxy, PushContext push,
      Map<String, XdsGenerator> cached, Map<String, XdsGenerator> uncached) {
    PushRequest request = PushRequest.forced(TriggerReason.PROXY_REQUEST);
    try {
      List<XdsResource> clusters = both(scenario, when, proxy, push, cached, uncached, TypeUrls.CLUSTER, true,
          Set.of(), request);
      Set<String> eds = new TreeSet<>();
      for (XdsResource r : clusters) {
        Cluster c = r.resource().unpack(Cluster.class);
        if (c.hasEdsClusterConfig()) {
          eds.add(c.getEdsClusterConfig().getServiceName());
        }
      }
      eds.add("outbound|9999||not-a-service.default.svc.cluster.local");
      both(scenario, when, proxy, push, cached, uncached, TypeUrls.ENDPOINT, false, eds, request);
      List<XdsResource> listeners = both(scenario, when, proxy, push, cached, uncached, TypeUrls.LISTENER, true,
          Set.of(), request);
      List<Listener> unpacked = new ArrayList<>();
      for (XdsResource r : listeners) {
        unpacked.add(r.resource().unpack(Listener.class));
      }
      Set<String> routes = new TreeSet<>(GoldenTest.routeNames(unpacked));
      routes.add("8080");
      routes.add("unknown.example:80");
      both(scenario, when, proxy, push, cached, uncached, TypeUrls.ROUTE, false, routes, request);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static List<XdsResource> both(String scenario, String when, Proxy proxy, PushContext push,
      Map<String, XdsGenerator> cached, Map<String, XdsGenerator> uncached, String type, boolean wildcard,
      Set<String> names, PushRequest request) {
    WatchedResource watched = new WatchedResource(type, wildcard, names);
    GenerationResult want = uncached.get(type).generate(proxy, push, watched, request);
    GenerationResult got = cached.get(type).generate(proxy, push, watched, request);
    Map<String, XdsResource> wantByName = new HashMap<>();
    want.resources().forEach(r -> wantByName.put(r.name(), r));
    List<String> names1 = want.resources().stream().map(XdsResource::name).toList();
    List<String> names2 = got.resources().stream().map(XdsResource::name).toList();
    if (!names1.equals(names2)) {
      fail(scenario + " " + when + ", " + TypeUrls.shortName(type) + " for " + describe(proxy)
          + ": cached names " + names2 + " != uncached " + names1);
    }
    for (XdsResource r : got.resources()) {
      XdsResource w = wantByName.get(r.name());
      if (!w.resource().toByteString().equals(r.resource().toByteString())) {
        fail(scenario + " " + when + ", " + TypeUrls.shortName(type) + " " + r.name() + " for " + describe(proxy)
            + " differs from uncached:\nuncached: " + w.resource() + "\ncached: " + r.resource());
      }
    }
    return want.resources();
  }

  private static String describe(Proxy p) {
    return p.type() + " " + p.configNamespace() + " " + p.labels() + " " + p.locality() + " " + p.ipAddresses()
        + " ext=" + p.envoyExtensions() + " md=" + p.metadata().raw().getFieldsMap().keySet();
  }

  /** The scenario's proxy and proxies that differ from it in one or two facts a generator may read. */
  static List<Proxy> variants(Proxy p) {
    List<Proxy> out = new ArrayList<>();
    out.add(p);
    out.add(p); // the same proxy twice: the second is served from the cache
    Map<String, String> more = new HashMap<>(p.labels());
    more.put("extra", "label");
    out.add(p.withLabels(more));
    out.add(p.withLabels(Map.of("app", "other", "version", "v2")));
    out.add(p.withLabels(Map.of()));
    out.add(with(p, p.type(), p.configNamespace(), p.ipAddresses(), p.metadata(), Locality.parse("us-west/zone-c/"),
        p.envoyExtensions()));
    out.add(with(p, p.type(), p.configNamespace(), p.ipAddresses(), p.metadata(), Locality.NONE, p.envoyExtensions()));
    out.add(with(p, p.type(), "other", p.ipAddresses(), p.metadata(), p.locality(), p.envoyExtensions()));
    out.add(with(p, p.type(), p.configNamespace(), List.of("fd00::10"), p.metadata(), p.locality(), p.envoyExtensions()));
    out.add(with(p, p.type(), p.configNamespace(), List.of("10.0.0.10", "fd00::10"), p.metadata(), p.locality(),
        p.envoyExtensions()));
    out.add(with(p, p.type(), p.configNamespace(), p.ipAddresses(), p.metadata(), p.locality(),
        p.envoyExtensions().isEmpty() ? Set.of(Filters.ISTIO_METADATA_EXCHANGE, Filters.ISTIO_ALPN) : Set.of()));
    out.add(with(p, p.type(), p.configNamespace(), p.ipAddresses(), toggled(p.metadata(), "PROXY_CONFIG",
        Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build()), p.locality(), p.envoyExtensions()));
    out.add(with(p, p.type(), p.configNamespace(), p.ipAddresses(), toggled(p.metadata(), "NETWORK",
        Value.newBuilder().setStringValue("network-2").build()), p.locality(), p.envoyExtensions()));
    out.add(with(p, p.type(), p.configNamespace(), p.ipAddresses(), toggled(p.metadata(), "NAMESPACE",
        Value.newBuilder().setStringValue("elsewhere").build()), p.locality(), p.envoyExtensions()));
    for (String[] kv : new String[][] {{"INTERCEPTION_MODE", "NONE"}, {"INTERCEPTION_MODE", "TPROXY"},
        {"UNPRIVILEGED_POD", "true"}, {"IDLE_TIMEOUT", "5m"}, {"ENVOY_STATUS_PORT", "80"}}) {
      out.add(with(p, p.type(), p.configNamespace(), p.ipAddresses(), toggled(p.metadata(), kv[0],
          Value.newBuilder().setStringValue(kv[1]).build()), p.locality(), p.envoyExtensions()));
    }
    out.add(with(p, p.type() == NodeType.ROUTER ? NodeType.SIDECAR : NodeType.ROUTER, p.configNamespace(),
        p.ipAddresses(), p.metadata(), p.locality(), p.envoyExtensions()));
    return out;
  }

  private static NodeMetadata toggled(NodeMetadata md, String key, Value value) {
    Struct.Builder b = md.raw().toBuilder();
    if (b.containsFields(key)) {
      b.removeFields(key);
    } else {
      b.putFields(key, value);
    }
    return new NodeMetadata(b.build());
  }

  private static Proxy with(Proxy p, NodeType type, String namespace, List<String> ips, NodeMetadata md,
      Locality locality, Set<String> extensions) {
    return new Proxy(type, p.id(), p.nodeId(), ips, p.dnsDomain(), namespace, md, p.labels(), p.istioVersion(),
        locality, extensions, p.verifiedIdentity());
  }
}
