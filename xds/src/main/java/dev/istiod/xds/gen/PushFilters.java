package dev.istiod.xds.gen;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushRequest;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which config changes can affect which xDS type, as upstream's {@code *NeedsPush} functions
 * ({@code pilot/pkg/xds/{cds,eds,lds,rds}.go}): a forced push affects everything; an
 * incremental push affects only EDS (endpoints) or SDS (secrets, see {@code SdsGenerator}); a
 * full push affects a type unless every changed config is of a kind that type ignores.
 */
final class PushFilters {
  static final Set<Kind> CDS_IGNORED = EnumSet.of(Kind.GATEWAY, Kind.WORKLOAD_ENTRY, Kind.WORKLOAD_GROUP,
      Kind.AUTHORIZATION_POLICY, Kind.REQUEST_AUTHENTICATION, Kind.ENDPOINTS, Kind.SECRET, Kind.TELEMETRY,
      Kind.WASM_PLUGIN, Kind.PROXY_CONFIG);
  static final Set<Kind> EDS_IGNORED = EnumSet.of(Kind.GATEWAY, Kind.VIRTUAL_SERVICE, Kind.WORKLOAD_GROUP,
      Kind.AUTHORIZATION_POLICY, Kind.REQUEST_AUTHENTICATION, Kind.SIDECAR, Kind.SECRET, Kind.TELEMETRY,
      Kind.WASM_PLUGIN, Kind.PROXY_CONFIG);
  // Telemetry shapes listeners (access logs); WasmPlugin and ProxyConfig are not applied by this
  // istiod (see UnappliedConfigWarnings), so they change no listener.
  static final Set<Kind> LDS_IGNORED_SIDECAR = EnumSet.of(Kind.GATEWAY, Kind.WORKLOAD_GROUP, Kind.WORKLOAD_ENTRY,
      Kind.ENDPOINTS, Kind.SECRET, Kind.WASM_PLUGIN, Kind.PROXY_CONFIG);
  static final Set<Kind> LDS_IGNORED_ROUTER = EnumSet.of(Kind.WORKLOAD_GROUP, Kind.WORKLOAD_ENTRY, Kind.ENDPOINTS,
      Kind.SECRET, Kind.WASM_PLUGIN, Kind.PROXY_CONFIG);
  static final Set<Kind> RDS_IGNORED = EnumSet.of(Kind.WORKLOAD_ENTRY, Kind.WORKLOAD_GROUP, Kind.AUTHORIZATION_POLICY,
      Kind.REQUEST_AUTHENTICATION, Kind.PEER_AUTHENTICATION, Kind.ENDPOINTS, Kind.SECRET, Kind.TELEMETRY,
      Kind.WASM_PLUGIN, Kind.PROXY_CONFIG);

  private PushFilters() {}

  /** CDS, LDS, RDS: full pushes naming at least one kind the type does not ignore. */
  static boolean fullPushAffects(Proxy proxy, PushRequest req, Set<Kind> ignored) {
    if (req == null || req.forced()) {
      return true;
    }
    if (!req.full()) {
      return false;
    }
    if (req.configsUpdated().isEmpty()) {
      return true;
    }
    for (ConfigKey k : req.configsUpdated()) {
      if (!ignored.contains(k.kind())) {
        return true;
      }
    }
    return false;
  }

  /** CDS for gateways also depends on Gateway resources (which VirtualServices bind). */
  static Set<Kind> cdsIgnored(Proxy proxy) {
    if (proxy.isRouter()) {
      Set<Kind> s = EnumSet.copyOf(CDS_IGNORED);
      s.remove(Kind.GATEWAY);
      return s;
    }
    return CDS_IGNORED;
  }

  static Set<Kind> rdsIgnored(Proxy proxy) {
    if (proxy.isRouter()) {
      return RDS_IGNORED;
    }
    Set<Kind> s = EnumSet.copyOf(RDS_IGNORED);
    s.add(Kind.GATEWAY);
    return s;
  }
}
