package dev.istiod.xds.gen;

import dev.istiod.api.extensions.v1alpha1.WasmPlugin;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.security.v1beta1.AuthorizationPolicy;
import dev.istiod.api.security.v1beta1.RequestAuthentication;
import dev.istiod.api.telemetry.v1alpha1.AccessLogging;
import dev.istiod.api.telemetry.v1alpha1.ProviderRef;
import dev.istiod.api.telemetry.v1alpha1.Telemetry;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.push.AuthorizationPolicyIndex;
import dev.istiod.model.push.RequestAuthenticationIndex;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says, once per object, which parts of stored Telemetry, WasmPlugin, ProxyConfig and AuthorizationPolicy
 * (CUSTOM, targetRefs) resources the generators do not turn into proxy configuration, so that nothing a user applied is ignored
 * silently. Of Telemetry only file access logging is applied: metrics need istio-proxy's stats
 * filter and tracing its tracers' setup, which upstream Envoy lacks or this istiod does not build;
 * access-log providers that the mesh config does not define, or defines as other than
 * {@code envoyFileAccessLog}, log nothing (checked against the mesh config of the moment);
 * RequestAuthentications bound by targetRef apply only to waypoints and Kubernetes Gateways;
 * WasmPlugin needs the agent's Wasm fetching and ECDS; ProxyConfig is applied by upstream's
 * injector and agent, not by xDS.
 *
 * <p>An object is reported when it is added, and again only when an update changes what is not
 * applied; a delete forgets it. Config events arrive on the store's one event thread.
 */
public final class UnappliedConfigWarnings implements ConfigEventHandler {
  private static final Logger log = LoggerFactory.getLogger(UnappliedConfigWarnings.class);

  private final Supplier<MeshConfig> mesh;
  private final Consumer<String> sink;
  private final Map<ConfigKey, String> reported = new ConcurrentHashMap<>();

  /** Warnings go to this class's logger at WARN; {@code mesh} says which providers exist. */
  public UnappliedConfigWarnings(Supplier<MeshConfig> mesh) {
    this(mesh, log::warn);
  }

  /** For tests: warnings go to {@code sink}. */
  UnappliedConfigWarnings(Supplier<MeshConfig> mesh, Consumer<String> sink) {
    this.mesh = mesh;
    this.sink = sink;
  }

  @Override
  public void onEvent(ConfigEvent event) {
    if (event.type() == ConfigEvent.Type.DELETE) {
      reported.remove(event.key());
      return;
    }
    Optional<String> message = describe(event.newConfig(), mesh.get());
    if (message.isEmpty()) {
      reported.remove(event.key());
      return;
    }
    if (!message.get().equals(reported.put(event.key(), message.get()))) {
      sink.accept(message.get());
    }
  }

  /** What of this config istiod stores but does not apply; empty when everything is applied. */
  static Optional<String> describe(Config c, MeshConfig mesh) {
    String who = c.kind().kindName() + " " + c.namespace() + "/" + c.name();
    return switch (c.kind()) {
      case TELEMETRY -> telemetry(c.spec(Telemetry.class), mesh)
          .map(parts -> who + " is stored but not fully applied: " + parts
              + " (this istiod applies only accessLogging with envoyFileAccessLog providers)");
      case WASM_PLUGIN -> Optional.of(who + " (" + c.spec(WasmPlugin.class).getUrl() + ") is stored and validated but "
          + "not applied: this istiod serves no Wasm extensions to proxies");
      case REQUEST_AUTHENTICATION -> RequestAuthenticationIndex.hasTargetRef(c.spec(RequestAuthentication.class))
          ? Optional.of(who + " is stored but not applied: targetRef/targetRefs bind it to waypoints and Kubernetes "
              + "Gateways, which this istiod does not serve (use a workload selector for sidecars and gateways)")
          : Optional.empty();
      case PROXY_CONFIG -> Optional.of(who + " is stored and validated but not applied: this istiod does not push "
          + "ProxyConfig resources to proxies (concurrency, environment variables and image are set at injection)");
      case AUTHORIZATION_POLICY -> authorizationPolicy(c.spec(AuthorizationPolicy.class))
          .map(why -> who + " is stored and validated but not applied: " + why);
      default -> Optional.empty();
    };
  }

  /** Why an AuthorizationPolicy is not enforced, if it is not: the RBAC filters cover ALLOW, DENY and AUDIT. */
  private static Optional<String> authorizationPolicy(AuthorizationPolicy p) {
    if (AuthorizationPolicyIndex.hasTargetRef(p)) {
      return Optional.of("targetRef/targetRefs attach it to waypoints and Kubernetes Gateways, which this istiod "
          + "does not serve");
    }
    if (p.getAction() == AuthorizationPolicy.Action.CUSTOM) {
      return Optional.of("action CUSTOM (provider " + p.getProvider().getName() + ") needs ext_authz, which this "
          + "istiod does not generate");
    }
    return Optional.empty();
  }

  private static Optional<String> telemetry(Telemetry t, MeshConfig mesh) {
    List<String> parts = new ArrayList<>();
    Set<String> providers = new LinkedHashSet<>();
    for (AccessLogging l : t.getAccessLoggingList()) {
      l.getProvidersList().stream().map(ProviderRef::getName).forEach(providers::add);
    }
    for (String name : providers) {
      Optional<MeshConfig.ExtensionProvider> p = mesh.getExtensionProvidersList().stream()
          .filter(e -> e.getName().equalsIgnoreCase(name)).findFirst();
      if (p.isEmpty()) {
        parts.add("accessLogging provider " + name + " (not in meshConfig.extensionProviders)");
      } else if (!p.get().hasEnvoyFileAccessLog()) {
        parts.add("accessLogging provider " + name + " (" + p.get().getProviderCase().name().toLowerCase(
            java.util.Locale.ROOT) + " is not generated)");
      }
    }
    if (t.getMetricsCount() > 0) {
      parts.add("metrics (need istio-proxy's stats filter, which upstream Envoy lacks)");
    }
    if (t.getTracingCount() > 0) {
      parts.add("tracing");
    }
    if (t.hasTargetRef() || t.getTargetRefsCount() > 0) {
      parts.add("targetRef/targetRefs (apply to waypoints and Kubernetes Gateways, which this istiod does not serve)");
    }
    return parts.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", parts));
  }
}
