package dev.istiod.deploy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.api.security.v1alpha1.IstioCertificateRequest;
import dev.istiod.api.security.v1alpha1.IstioCertificateResponse;
import dev.istiod.api.security.v1alpha1.IstioCertificateServiceGrpc;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * What a proxy asks of istiod on its secure port, as plain gRPC calls with a Kubernetes token (as pilot-agent
 * sends it): a workload certificate from the CA, and a gateway's {@code credentialName} Secret over SDS. istiod's
 * serving certificate is checked against the mesh root and the name {@code istiod.istio-system.svc}.
 */
final class MeshClients implements AutoCloseable {
  static final String SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;

  private MeshClients(ManagedChannel channel) {
    this.channel = channel;
  }

  /** A TLS channel to istiod's secure gRPC port, trusting only {@code rootPem}. */
  static MeshClients connect(int securePort, String rootPem) {
    try {
      return new MeshClients(NettyChannelBuilder.forAddress("127.0.0.1", securePort)
          .overrideAuthority("istiod.istio-system.svc")
          .sslContext(GrpcSslContexts.forClient()
              .trustManager(new ByteArrayInputStream(rootPem.getBytes(StandardCharsets.UTF_8))).build())
          .build());
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build a TLS client for the mesh root", e);
    }
  }

  /** Asks the CA for a workload certificate with {@code token}; the issued chain, or the gRPC error. */
  List<String> requestCertificate(String token, Duration bound) {
    IstioCertificateResponse response = IstioCertificateServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
        .withDeadlineAfter(bound.toMillis(), TimeUnit.MILLISECONDS)
        .createCertificate(IstioCertificateRequest.newBuilder().setCsr(csrPem()).setValidityDuration(3600).build());
    return response.getCertChainList();
  }

  /**
   * Opens an ADS stream as gateway {@code podName} of {@code namespace} running as {@code serviceAccount},
   * subscribes to the SDS resource {@code resourceName} and returns the first response, if one comes within
   * {@code bound} (istiod sends none while it cannot authorize the proxy).
   */
  Optional<DiscoveryResponse> requestSecret(String token, String podName, String namespace, String serviceAccount,
      String resourceName, Duration bound) throws InterruptedException {
    LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
        .streamAggregatedResources(new StreamObserver<>() {
          @Override
          public void onNext(DiscoveryResponse response) {
            received.add(response);
          }

          @Override
          public void onError(Throwable t) {
            received.add(t);
          }

          @Override
          public void onCompleted() {}
        });
    try {
      Struct.Builder metadata = Struct.newBuilder();
      Map.of("NAMESPACE", namespace, "SERVICE_ACCOUNT", serviceAccount, "ISTIO_VERSION", "1.28.0",
              "CLUSTER_ID", "Kubernetes", "INSTANCE_IPS", "10.250.0.9")
          .forEach((k, v) -> metadata.putFields(k, Value.newBuilder().setStringValue(v).build()));
      requests.onNext(DiscoveryRequest.newBuilder()
          .setNode(Node.newBuilder()
              .setId("router~10.250.0.9~" + podName + "." + namespace + "~" + namespace + ".svc.cluster.local")
              .setCluster(podName + "." + namespace).setMetadata(metadata))
          .setTypeUrl(SECRET_TYPE).addResourceNames(resourceName).build());
      Object first = received.poll(bound.toMillis(), TimeUnit.MILLISECONDS);
      if (first instanceof StatusRuntimeException e) {
        throw e;
      }
      if (first instanceof Throwable t) {
        throw new IllegalStateException("the ADS stream failed", t);
      }
      return Optional.ofNullable((DiscoveryResponse) first);
    } finally {
      requests.onCompleted();
    }
  }

  private static Metadata bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    return headers;
  }

  /** A fresh P-256 key's CSR; the CA puts the caller's identity into the certificate whatever the CSR says. */
  private static String csrPem() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = generator.generateKeyPair();
      byte[] der = new JcaPKCS10CertificationRequestBuilder(new X500Name("O=deploy-tests"), keys.getPublic())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded();
      return "-----BEGIN CERTIFICATE REQUEST-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
          + "\n-----END CERTIFICATE REQUEST-----\n";
    } catch (java.security.GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
      throw new IllegalStateException("cannot make a CSR", e);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
