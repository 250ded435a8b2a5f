/**
 * Citadel, istiod's certificate authority: the signer ({@link dev.istiod.ca.IstioCa}), where its
 * root comes from (self-signed in {@code istio-ca-secret}, or plugged in {@code ROOT_CA_DIR}),
 * root rotation, and {@link dev.istiod.ca.Citadel}, which wires them with the gRPC service
 * ({@code dev.istiod.ca.server}), caller authentication ({@code dev.istiod.ca.auth}), istiod's TLS
 * on 15012 ({@code dev.istiod.ca.tls}) and root distribution ({@code dev.istiod.ca.distribution}).
 */
package dev.istiod.ca;
