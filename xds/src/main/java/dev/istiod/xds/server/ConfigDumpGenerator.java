package dev.istiod.xds.server;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.io/debug/config_dump}: the single resource name is a proxy id ({@code <pod>.<namespace>}), the answer
 * what istiod would send that proxy now, as the sections of Envoy's admin ConfigDump without endpoints (one
 * unnamed resource per section), as upstream's StatusGen. {@code istioctl proxy-status <pod>.<ns>} diffs it
 * against the proxy's own dump. A proxy that is not connected here (or, for a caller restricted to its namespace,
 * is in another namespace) gets an empty answer, which istioctl reports as "unable to find config dump in Istiod
 * responses"; so does a request that names no proxy or several.
 */
final class ConfigDumpGenerator implements XdsGenerator {
  private static final Logger log = LoggerFactory.getLogger(ConfigDumpGenerator.class);
  private final DiscoveryServer server;

  ConfigDumpGenerator(DiscoveryServer server) {
    this.server = server;
  }

  @Override
  public String typeUrl() {
    return TypeUrls.DEBUG_CONFIG_DUMP;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return false;
  }

  @Override
  public GenerationResult generate(Proxy caller, PushContext push, WatchedResource watched, PushRequest request) {
    DebugAccess.Scope scope = server.debugScope(caller);
    if (watched.resourceNames().size() != 1) {
      log.info("{} with {} ResourceNames", TypeUrls.DEBUG_CONFIG_DUMP, watched.resourceNames().size());
      return GenerationResult.full(List.of());
    }
    String proxyId = watched.resourceNames().iterator().next();
    Optional<ConfigDump> dump = server.configDump(proxyId)
        .filter(d -> !(scope instanceof DebugAccess.Namespace ns) || d.proxy().configNamespace().equals(ns.name()));
    if (dump.isEmpty()) {
      // Like a 404, and the same answer whether the proxy is elsewhere or hidden from this caller.
      log.info("{} failed: config dump could not find connection for proxyID \"{}\"", TypeUrls.DEBUG_CONFIG_DUMP,
          proxyId);
      return GenerationResult.full(List.of());
    }
    return GenerationResult.full(dump.get().toEnvoy(ConfigDump.Endpoints.OMITTED).getConfigsList().stream()
        .map(section -> new XdsResource("", section))
        .toList());
  }
}
