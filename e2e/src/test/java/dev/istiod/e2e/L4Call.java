package dev.istiod.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A client of {@link TcpBackend}s through Envoy: connects, reads the greeting line (the backend's name), sends
 * a probe and checks it comes back, then closes. Over TLS it sends the given SNI and records the certificate
 * the far end presented. Failures are results ({@code servedBy} empty), so tests can poll on them.
 */
final class L4Call {
  private static final int TIMEOUT_MS = 5_000;

  /**
   * @param servedBy the backend's name, or "" when the connection failed or was closed before the greeting
   * @param echoed true if the probe bytes came back
   * @param peerCertificateSubject the TLS peer's certificate subject, "" for plain TCP
   */
  record Result(String servedBy, boolean echoed, String peerCertificateSubject, String error) {
    static Result failed(Exception e) {
      return new Result("", false, "", e.toString());
    }
  }

  private L4Call() {}

  static Result tcp(String address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), TIMEOUT_MS);
      s.setSoTimeout(TIMEOUT_MS);
      return exchange(s, "");
    } catch (IOException e) {
      return Result.failed(e);
    }
  }

  static Result tls(String address, int port, String sni) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new TrustAll()}, null);
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(address, port), TIMEOUT_MS);
        raw.setSoTimeout(TIMEOUT_MS);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, sni, port, true)) {
          SSLParameters params = s.getSSLParameters();
          params.setServerNames(List.of(new SNIHostName(sni)));
          s.setSSLParameters(params);
          s.startHandshake();
          X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
          return exchange(s, peer.getSubjectX500Principal().getName());
        }
      }
    } catch (IOException | java.security.GeneralSecurityException e) {
      return Result.failed(e);
    }
  }

  private static Result exchange(Socket s, String subject) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    String greeting = in.readLine();
    if (greeting == null) {
      return new Result("", false, subject, "closed before the greeting");
    }
    OutputStream out = s.getOutputStream();
    out.write("ping\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
    boolean echoed = "ping".equals(in.readLine());
    return new Result(greeting, echoed, subject, "");
  }

  /** The tests check which certificate arrived; they do not need it to chain to anything. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
