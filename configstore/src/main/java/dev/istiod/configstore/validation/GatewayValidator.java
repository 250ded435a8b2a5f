package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import dev.istiod.api.networking.v1alpha3.Gateway;
import dev.istiod.api.networking.v1alpha3.Port;
import dev.istiod.api.networking.v1alpha3.Server;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings;
import dev.istiod.model.Config;
import dev.istiod.model.Protocol;
import java.util.HashSet;
import java.util.Set;

/** Gateway rules (upstream's ValidateGateway). */
final class GatewayValidator implements Validator {
  static final String GATEWAY_SEMANTICS_ANNOTATION = "internal.istio.io/gateway-semantics";

  @Override
  public ValidationResult validate(Config config) {
    Gateway gw = config.spec(Gateway.class);
    Issues issues = new Issues();
    boolean gatewaySemantics = "gateway".equals(config.meta().annotations().get(GATEWAY_SEMANTICS_ANNOTATION));
    if (!HostNames.isDns1123Label(config.name()) && !gatewaySemantics) {
      issues.error("invalid gateway name: " + q(config.name()));
    }
    if (gw.getServersCount() == 0) {
      issues.error("gateway must have at least one server");
    } else {
      gw.getServersList().forEach(s -> server(issues, s, gatewaySemantics));
    }
    Set<String> portNames = new HashSet<>();
    for (Server s : gw.getServersList()) {
      if (!s.hasPort()) {
        continue;
      }
      if (!portNames.add(s.getPort().getName())) {
        issues.error("port names in servers must be unique: duplicate name " + s.getPort().getName());
      }
      if (!Protocol.parse(s.getPort().getProtocol()).isHttp() && s.getTls().getHttpsRedirect()) {
        issues.warn("tls.httpsRedirect should only be used with http servers");
      }
    }
    return issues.result();
  }

  private static void server(Issues issues, Server server, boolean gatewaySemantics) {
    if (server.getHostsCount() == 0) {
      issues.error("server config must contain at least one host");
    } else {
      for (String host : server.getHostsList()) {
        issues.errors(HostNames.namespaceSlashHost(host, true, gatewaySemantics));
      }
    }
    int before = issues.errorCount();
    serverPort(issues, server.hasPort() ? server.getPort() : null, server.getBind());
    boolean portValid = issues.errorCount() == before;
    serverBind(issues, server.hasPort() ? server.getPort() : null, server.getBind());
    if (server.hasTls()) {
      ServerTlsChecks.tls(issues, server.getTls());
    }
    if (!portValid) {
      return;
    }
    Protocol p = Protocol.parse(server.getPort().getProtocol());
    if (p.isTls() && !server.hasTls()) {
      issues.error("server must have TLS settings for HTTPS/TLS protocols");
    } else if (!p.isTls() && server.hasTls()) {
      if (p.isHttp()) {
        // Plain HTTP servers may only carry the httpsRedirect flag.
        ServerTLSSettings tls = server.getTls();
        boolean passthrough = tls.getMode() == ServerTLSSettings.TLSmode.PASSTHROUGH
            || tls.getMode() == ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH;
        if (!passthrough || !tls.getCaCertificates().isEmpty() || !tls.getPrivateKey().isEmpty()
            || !tls.getServerCertificate().isEmpty()) {
          issues.error("server cannot have TLS settings for plain text HTTP ports");
        }
      } else {
        issues.error("server cannot have TLS settings for non HTTPS/TLS ports");
      }
    }
  }

  private static void serverPort(Issues issues, Port port, String bind) {
    if (port == null) {
      issues.error("port is required");
      return;
    }
    if (Protocol.parse(port.getProtocol()) == Protocol.UNSUPPORTED) {
      issues.error("invalid protocol " + q(port.getProtocol())
          + ", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP");
    }
    if (port.getNumber() > 0 || !bind.startsWith(Addresses.UNIX_PREFIX)) {
      issues.error(Common.port(Integer.toUnsignedLong(port.getNumber())));
    }
    if (port.getTargetPort() > 0) {
      issues.error("targetPort has no impact on Gateways");
    }
    if (port.getName().isEmpty()) {
      issues.error("port name must be set: " + portText(port));
    }
  }

  private static void serverBind(Issues issues, Port port, String bind) {
    if (bind.startsWith(Addresses.UNIX_PREFIX)) {
      issues.error(Addresses.unixAddress(bind.substring(Addresses.UNIX_PREFIX.length())));
      if (port != null && port.getNumber() != 0) {
        issues.error("port number must be 0 for unix domain socket: " + portText(port));
      }
    } else if (!bind.isEmpty()) {
      issues.error(Addresses.ipAddress(bind));
    }
  }

  /** A port as Go prints a proto with {@code %v}: set fields only, strings quoted. */
  private static String portText(Port port) {
    StringBuilder b = new StringBuilder();
    if (port.getNumber() != 0) {
      b.append("number:").append(Integer.toUnsignedString(port.getNumber()));
    }
    if (!port.getProtocol().isEmpty()) {
      b.append(b.isEmpty() ? "" : " ").append("protocol:").append(q(port.getProtocol()));
    }
    if (!port.getName().isEmpty()) {
      b.append(b.isEmpty() ? "" : " ").append("name:").append(q(port.getName()));
    }
    return b.toString();
  }
}
