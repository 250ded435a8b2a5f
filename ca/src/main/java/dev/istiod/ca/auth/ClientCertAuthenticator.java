package dev.istiod.ca.auth;

import dev.istiod.ca.pki.SubjectAltNames;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Authenticates by the TLS client certificate: the SANs of a peer certificate that the handshake
 * verified against the mesh roots (the 15012 server's trust manager only accepts chains to them),
 * as upstream's ClientCertAuthenticator takes the SANs of the first verified chain.
 */
public final class ClientCertAuthenticator implements Authenticator {
  @Override
  public String type() {
    return "ClientCertAuthenticator";
  }

  @Override
  public Caller authenticate(AuthRequest request) throws AuthenticationException {
    SSLSession session = request.tlsSession()
        .orElseThrow(() -> new AuthenticationException("no client certificate is presented"));
    Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      throw new AuthenticationException("no verified chain is found");
    }
    if (peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
      throw new AuthenticationException("no verified chain is found");
    }
    List<String> ids;
    try {
      ids = SubjectAltNames.all(leaf);
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException(e.getMessage());
    }
    if (ids.isEmpty()) {
      throw new AuthenticationException("the client certificate has no subject alternative names");
    }
    return Caller.ofCertificate(ids);
  }
}
