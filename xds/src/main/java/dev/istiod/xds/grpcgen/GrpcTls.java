package dev.istiod.xds.grpcgen;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/**
 * Istio mTLS for proxyless gRPC, in the shape upstream's grpcgen sends: certificates come from
 * the gRPC bootstrap's certificate provider instance {@value #PROVIDER_INSTANCE} (the workload
 * certificate {@value #IDENTITY_CERT}, the trust bundle {@value #ROOT_CERT}), referenced through
 * the fields older gRPC releases read too.
 */
final class GrpcTls {

  /** gRPC reads the TLS config only from a transport socket of exactly this name. */
  static final String TRANSPORT_SOCKET_NAME = "envoy.transport_sockets.tls";
  static final String PROVIDER_INSTANCE = "default";
  static final String IDENTITY_CERT = "default";
  static final String ROOT_CERT = "ROOTCA";

  private GrpcTls() {}

  /** A client TLS transport socket that verifies the server's SAN against {@code subjectAltNames} (if any). */
  @SuppressWarnings("deprecation") // the certificate-provider fields upstream uses; gRPC still reads them
  static TransportSocket upstream(List<String> subjectAltNames) {
    CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
    subjectAltNames.stream().sorted().distinct()
        .forEach(san -> validation.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san)));
    CommonTlsContext common = CommonTlsContext.newBuilder()
        .setTlsCertificateCertificateProviderInstance(CommonTlsContext.CertificateProviderInstance.newBuilder()
            .setInstanceName(PROVIDER_INSTANCE).setCertificateName(IDENTITY_CERT))
        .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
            .setDefaultValidationContext(validation)
            .setValidationContextCertificateProviderInstance(CommonTlsContext.CertificateProviderInstance.newBuilder()
                .setInstanceName(PROVIDER_INSTANCE).setCertificateName(ROOT_CERT)))
        .build();
    return TransportSocket.newBuilder()
        .setName(TRANSPORT_SOCKET_NAME)
        .setTypedConfig(Any.pack(UpstreamTlsContext.newBuilder().setCommonTlsContext(common).build()))
        .build();
  }
}
