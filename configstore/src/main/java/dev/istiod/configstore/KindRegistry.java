package dev.istiod.configstore;

import com.google.protobuf.Message;
import dev.istiod.api.extensions.v1alpha1.WasmPlugin;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.EnvoyFilter;
import dev.istiod.api.networking.v1alpha3.Gateway;
import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.api.networking.v1alpha3.Sidecar;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.api.networking.v1alpha3.WorkloadGroup;
import dev.istiod.api.networking.v1beta1.ProxyConfig;
import dev.istiod.api.security.v1beta1.AuthorizationPolicy;
import dev.istiod.api.security.v1beta1.PeerAuthentication;
import dev.istiod.api.security.v1beta1.RequestAuthentication;
import dev.istiod.api.telemetry.v1alpha1.Telemetry;
import dev.istiod.configstore.validation.ValidationResult;
import dev.istiod.configstore.validation.Validators;
import dev.istiod.model.Config;
import dev.istiod.model.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Istio kinds istiod understands: group/version/kind to spec proto and validator. Immutable
 * and thread-safe; build it once ({@link #istio()}) and share it.
 *
 * <p>Versions follow upstream's CRDs: networking kinds serve {@code v1}, {@code v1beta1} and
 * {@code v1alpha3} (storage {@code v1}), except EnvoyFilter which serves only
 * {@code v1alpha3}, and ProxyConfig which serves only {@code v1beta1}; security kinds serve
 * {@code v1} and {@code v1beta1} (storage {@code v1}); Telemetry serves {@code v1} and
 * {@code v1alpha1} (storage still {@code v1alpha1} upstream); WasmPlugin only {@code v1alpha1}.
 * All versions of a kind share one proto, as upstream's do.
 */
public final class KindRegistry {
  private static final List<String> NETWORKING_VERSIONS = List.of("v1", "v1beta1", "v1alpha3");
  private static final List<String> SECURITY_VERSIONS = List.of("v1", "v1beta1");

  private final Map<Kind, KindSchema> byKind;

  private KindRegistry(Collection<KindSchema> schemas) {
    Map<Kind, KindSchema> m = new EnumMap<>(Kind.class);
    for (KindSchema s : schemas) {
      if (m.put(s.kind(), s) != null) {
        throw new IllegalArgumentException("duplicate schema for " + s.kind());
      }
    }
    this.byKind = m;
  }

  /** Every Istio kind of {@link Kind}, with upstream's versions and this project's validators. */
  public static KindRegistry istio() {
    List<KindSchema> schemas = new ArrayList<>();
    networking(schemas, Kind.VIRTUAL_SERVICE, VirtualService.getDefaultInstance());
    networking(schemas, Kind.DESTINATION_RULE, DestinationRule.getDefaultInstance());
    networking(schemas, Kind.GATEWAY, Gateway.getDefaultInstance());
    networking(schemas, Kind.SERVICE_ENTRY, ServiceEntry.getDefaultInstance());
    networking(schemas, Kind.WORKLOAD_ENTRY, WorkloadEntry.getDefaultInstance());
    networking(schemas, Kind.WORKLOAD_GROUP, WorkloadGroup.getDefaultInstance());
    networking(schemas, Kind.SIDECAR, Sidecar.getDefaultInstance());
    schemas.add(new KindSchema(Kind.ENVOY_FILTER, List.of("v1alpha3"), "v1alpha3",
        EnvoyFilter.getDefaultInstance(), Validators.forKind(Kind.ENVOY_FILTER)));
    security(schemas, Kind.PEER_AUTHENTICATION, PeerAuthentication.getDefaultInstance());
    security(schemas, Kind.REQUEST_AUTHENTICATION, RequestAuthentication.getDefaultInstance());
    security(schemas, Kind.AUTHORIZATION_POLICY, AuthorizationPolicy.getDefaultInstance());
    schemas.add(new KindSchema(Kind.PROXY_CONFIG, List.of("v1beta1"), "v1beta1",
        ProxyConfig.getDefaultInstance(), Validators.forKind(Kind.PROXY_CONFIG)));
    schemas.add(new KindSchema(Kind.TELEMETRY, List.of("v1", "v1alpha1"), "v1alpha1",
        Telemetry.getDefaultInstance(), Validators.forKind(Kind.TELEMETRY)));
    schemas.add(new KindSchema(Kind.WASM_PLUGIN, List.of("v1alpha1"), "v1alpha1",
        WasmPlugin.getDefaultInstance(), Validators.forKind(Kind.WASM_PLUGIN)));
    return new KindRegistry(schemas);
  }

  /** A registry of exactly these schemas (tests, or a subset of kinds). */
  public static KindRegistry of(Collection<KindSchema> schemas) {
    return new KindRegistry(schemas);
  }

  private static void networking(List<KindSchema> out, Kind kind, Message spec) {
    out.add(new KindSchema(kind, NETWORKING_VERSIONS, "v1", spec, Validators.forKind(kind)));
  }

  private static void security(List<KindSchema> out, Kind kind, Message spec) {
    out.add(new KindSchema(kind, SECURITY_VERSIONS, "v1", spec, Validators.forKind(kind)));
  }

  /**
   * The schema for an object's {@code apiVersion} ({@code group/version}) and {@code kind}.
   *
   * @throws UnknownKindException if no registered kind has that group, kind and version
   */
  public KindSchema lookup(String apiVersion, String kind) {
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
    return findByGroupKind(group, kind)
        .filter(s -> s.serves(version))
        .orElseThrow(() -> new UnknownKindException(apiVersion, kind));
  }

  /**
   * The schema for a group and kind, whatever the version (the admission webhook looks kinds up
   * this way, as upstream does).
   */
  public Optional<KindSchema> findByGroupKind(String group, String kind) {
    return Kind.fromGroupKind(group, kind).map(byKind::get);
  }

  /** @throws IllegalArgumentException if the kind is not registered */
  public KindSchema schema(Kind kind) {
    KindSchema s = byKind.get(kind);
    if (s == null) {
      throw new IllegalArgumentException("kind " + kind + " is not registered");
    }
    return s;
  }

  public boolean contains(Kind kind) {
    return byKind.containsKey(kind);
  }

  /** All schemas, in {@link Kind} order. */
  public List<KindSchema> schemas() {
    return List.copyOf(byKind.values());
  }

  /** Runs the validator of the config's kind. */
  public ValidationResult validate(Config config) {
    return schema(config.kind()).validator().validate(config);
  }
}
