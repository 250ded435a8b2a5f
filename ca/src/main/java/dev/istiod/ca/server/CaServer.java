package dev.istiod.ca.server;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.api.security.v1alpha1.IstioCertificateRequest;
import dev.istiod.api.security.v1alpha1.IstioCertificateResponse;
import dev.istiod.api.security.v1alpha1.IstioCertificateServiceGrpc;
import dev.istiod.ca.CaException;
import dev.istiod.ca.IstioCa;
import dev.istiod.ca.SignedChain;
import dev.istiod.ca.auth.AuthRequest;
import dev.istiod.ca.auth.AuthenticationException;
import dev.istiod.ca.auth.Authenticators;
import dev.istiod.ca.auth.Caller;
import dev.istiod.ca.auth.NodeAuthorizer;
import dev.istiod.ca.pki.Pem;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.v1.auth.IstioCertificateService/CreateCertificate}: istiod's CA as pilot-agent and
 * ztunnel call it on 15012.
 *
 * <h2>Design notes</h2>
 * <ul>
 *   <li><b>Who gets a certificate for what.</b> The certificate names the <em>authenticated
 *       caller</em>: its client certificate's SANs or the SPIFFE id of its service account token.
 *       Nothing in the CSR but its public key (and whether it had a CN) is used, so a CSR asking
 *       for another identity still gets the caller's. The one exception is
 *       {@code ImpersonatedIdentity}, allowed only to node agents a {@link NodeAuthorizer}
 *       vouches for.
 *   <li><b>Errors, as upstream.</b> Authentication failures are opaque
 *       ({@code UNAUTHENTICATED "request authenticate failure"}, or "request impersonation
 *       authentication failure"); the reason goes to istiod's log. Signing failures carry the
 *       reason: {@code "CSR signing error (<reason>)"} with INVALID_ARGUMENT for a bad CSR or a
 *       TTL above the maximum, INTERNAL for a CA that cannot sign.
 *   <li><b>Response shape.</b> {@code cert_chain} holds one PEM certificate per element, each
 *       ending in a newline: the leaf, the CA's chain, then the trust bundle with the current root
 *       last (pilot-agent trusts the last element; ztunnel wants one certificate per element).
 *       Leaf, chain and roots come from one CA bundle even while a rotation swaps it.
 *   <li><b>Concurrency.</b> Stateless apart from metrics; the CA is read through immutable
 *       bundle snapshots, so calls run on gRPC's executor without locks.
 *   <li><b>Secrets.</b> Tokens, CSRs and keys are never logged; identities and serials are.
 * </ul>
 */
public final class CaServer extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(CaServer.class);
  /** Request metadata key: the caller asks for a certificate for this SPIFFE id instead of its own. */
  public static final String IMPERSONATED_IDENTITY = "ImpersonatedIdentity";
  /** Request metadata key: non-empty selects upstream's SignWithCertChain path (same output here). */
  public static final String CERT_SIGNER = "CertSigner";

  private final IstioCa ca;
  private final Authenticators authenticators;
  private final Optional<NodeAuthorizer> nodeAuthorizer;
  private final CaMetrics metrics;

  /**
   * @param ca the signer
   * @param authenticators tried in order; see {@link Authenticators}
   * @param nodeAuthorizer present when {@code CA_TRUSTED_NODE_ACCOUNTS} is set
   * @param metrics registered on istiod's registry
   */
  public CaServer(IstioCa ca, Authenticators authenticators, Optional<NodeAuthorizer> nodeAuthorizer,
      CaMetrics metrics) {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.authenticators = Objects.requireNonNull(authenticators, "authenticators");
    this.nodeAuthorizer = Objects.requireNonNull(nodeAuthorizer, "nodeAuthorizer");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  @Override
  public void createCertificate(IstioCertificateRequest request,
      StreamObserver<IstioCertificateResponse> responseObserver) {
    metrics.csrReceived();
    AuthRequest auth = AuthRequest.current();
    Caller caller;
    try {
      caller = authenticators.authenticate(auth);
    } catch (AuthenticationException e) {
      metrics.authenticationFailed();
      log.warn("CSR from {} rejected: authentication failed: {}", auth.remoteAddress(), e.getMessage());
      responseObserver.onError(Status.UNAUTHENTICATED.withDescription("request authenticate failure").asException());
      return;
    }
    List<String> sans = caller.identities();
    String impersonated = stringField(request.getMetadata(), IMPERSONATED_IDENTITY);
    if (!impersonated.isEmpty()) {
      try {
        authorizeImpersonation(caller, impersonated);
      } catch (AuthenticationException e) {
        metrics.authenticationFailed();
        log.warn("CSR from {} ({}) rejected: impersonation of {} failed: {}", auth.remoteAddress(),
            caller.identities(), impersonated, e.getMessage());
        responseObserver.onError(
            Status.UNAUTHENTICATED.withDescription("request impersonation authentication failure").asException());
        return;
      }
      sans = List.of(impersonated);
    }
    SignedChain signed;
    try {
      signed = ca.sign(request.getCsr(), sans, Duration.ofSeconds(request.getValidityDuration()));
    } catch (CaException e) {
      metrics.signFailed(e.error());
      log.error("CSR signing error for {}: {} ({})", sans, e.getMessage(), e.error());
      responseObserver.onError(Status.fromCode(e.error().grpcCode())
          .withDescription("CSR signing error (" + e.getMessage() + ")").asException());
      return;
    }
    IstioCertificateResponse.Builder response = IstioCertificateResponse.newBuilder();
    for (X509Certificate c : signed.responseOrder()) {
      response.addCertChain(Pem.encode(c));
    }
    metrics.issued();
    log.debug("issued a certificate for {} (serial {}, valid until {})", sans,
        signed.leaf().getSerialNumber().toString(16), signed.leaf().getNotAfter().toInstant());
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }

  private void authorizeImpersonation(Caller caller, String impersonated) throws AuthenticationException {
    NodeAuthorizer authorizer = nodeAuthorizer.orElseThrow(() -> new AuthenticationException(
        "impersonation not allowed, as node authorizer (CA_TRUSTED_NODE_ACCOUNTS) is not configured"));
    authorizer.authorizeImpersonation(caller, impersonated);
  }

  private static String stringField(Struct metadata, String key) {
    Value v = metadata.getFieldsMap().get(key);
    return v == null || v.getKindCase() != Value.KindCase.STRING_VALUE ? "" : v.getStringValue();
  }
}
