package dev.istiod.xds.server;

import io.grpc.StatusException;
import java.util.List;

/**
 * Who is calling on an ADS stream: the seam through which istiod's authenticators (client
 * certificate, Kubernetes token; they live in the CA module) reach the xDS server without the
 * xds module knowing about TLS sessions or the Kubernetes API.
 */
@FunctionalInterface
public interface XdsAuthenticator {
  /** No authentication: every caller is anonymous (plaintext only, and tests). */
  XdsAuthenticator NONE = List::of;

  /**
   * Called on the gRPC thread when a stream opens, so the call's context (TLS session, headers)
   * is current.
   *
   * @return the caller's SPIFFE identities; empty for an anonymous plaintext caller, whose
   *     proxy is then not checked (as upstream on 15010)
   * @throws StatusException UNAUTHENTICATED when the caller presented credentials that fail
   */
  List<String> authenticate() throws StatusException;
}
