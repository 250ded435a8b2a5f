/**
 * The one definition of a valid Istio object, shared by the admission webhook and every config
 * source. {@link dev.istiod.configstore.validation.Validators#forKind} gives the validator of a
 * kind; results carry upstream Istio's messages (pkg/config/validation), so users see the same
 * text as with upstream istiod.
 *
 * <p>Deliberate differences from upstream, each noted where it is implemented: regex errors
 * also quote the whole regex; EnvoyFilter patch values are not parsed against Envoy's protos;
 * gRPC readiness probes of a WorkloadGroup are accepted.
 */
package dev.istiod.configstore.validation;
