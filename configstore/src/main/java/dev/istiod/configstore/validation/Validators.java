package dev.istiod.configstore.validation;

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
import dev.istiod.model.Config;
import dev.istiod.model.Kind;

/**
 * The validator of each Istio kind: the kind's own rules, preceded by the metadata checks that
 * apply to every kind. The kind registry holds one per kind; nothing else should build them.
 */
public final class Validators {
  private Validators() {}

  /**
   * The validator for an Istio config kind.
   *
   * @throws IllegalArgumentException for registry pseudo-kinds, which are never validated
   */
  public static Validator forKind(Kind kind) {
    return switch (kind) {
      case VIRTUAL_SERVICE -> guarded(kind, VirtualService.class, new VirtualServiceValidator());
      case DESTINATION_RULE -> guarded(kind, DestinationRule.class, new DestinationRuleValidator());
      case GATEWAY -> guarded(kind, Gateway.class, new GatewayValidator());
      case SERVICE_ENTRY -> guarded(kind, ServiceEntry.class, new ServiceEntryValidator());
      case WORKLOAD_ENTRY -> guarded(kind, WorkloadEntry.class, new WorkloadEntryValidator());
      case WORKLOAD_GROUP -> guarded(kind, WorkloadGroup.class, new WorkloadGroupValidator());
      case SIDECAR -> guarded(kind, Sidecar.class, new SidecarValidator());
      case ENVOY_FILTER -> guarded(kind, EnvoyFilter.class, new EnvoyFilterValidator());
      case PEER_AUTHENTICATION -> guarded(kind, PeerAuthentication.class, new PeerAuthenticationValidator());
      case REQUEST_AUTHENTICATION ->
          guarded(kind, RequestAuthentication.class, new RequestAuthenticationValidator());
      case AUTHORIZATION_POLICY -> guarded(kind, AuthorizationPolicy.class, new AuthorizationPolicyValidator());
      case PROXY_CONFIG -> guarded(kind, ProxyConfig.class, new ProxyConfigValidator());
      case TELEMETRY -> guarded(kind, Telemetry.class, new TelemetryValidator());
      case WASM_PLUGIN -> guarded(kind, WasmPlugin.class, new WasmPluginValidator());
      case SERVICE, ENDPOINTS, MESH_CONFIG, SECRET ->
          throw new IllegalArgumentException(kind + " is not an Istio config kind");
    };
  }

  /** Runs the metadata checks, then the kind's rules, after making sure the spec has the kind's type. */
  private static Validator guarded(Kind kind, Class<? extends Message> specType, Validator rules) {
    return new Validator() {
      @Override
      public ValidationResult validate(Config config) {
        if (config.kind() != kind || !specType.isInstance(config.spec())) {
          return ValidationResult.error("cannot cast to " + kind.kindName() + ": "
              + config.kind().kindName() + " with spec " + config.spec().getDescriptorForType().getFullName());
        }
        return MetadataChecks.check(config).map(ValidationResult::error).orElseGet(() -> rules.validate(config));
      }

      @Override
      public String toString() {
        return kind.kindName() + "Validator";
      }
    };
  }
}
