package dev.istiod.configstore.validation;

import dev.istiod.api.networking.v1alpha3.CaptureMode;
import dev.istiod.api.networking.v1alpha3.IstioEgressListener;
import dev.istiod.api.networking.v1alpha3.IstioIngressListener;
import dev.istiod.api.networking.v1alpha3.OutboundTrafficPolicy;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings;
import dev.istiod.api.networking.v1alpha3.Sidecar;
import dev.istiod.api.networking.v1alpha3.SidecarPort;
import dev.istiod.model.Config;
import dev.istiod.model.Protocol;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Sidecar rules (upstream's ValidateSidecar). */
final class SidecarValidator implements Validator {
  private static final String DEFAULT_ENDPOINT_FORM = "sidecar: defaultEndpoint must be of form "
      + "127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset";

  @Override
  public ValidationResult validate(Config config) {
    Sidecar sc = config.spec(Sidecar.class);
    Issues issues = new Issues();
    if (sc.hasWorkloadSelector()) {
      List<String> selectorErrors = Common.selectorLabels(sc.getWorkloadSelector().getLabelsMap());
      if (!selectorErrors.isEmpty()) {
        return new ValidationResult(selectorErrors, List.of());
      }
      if (sc.getWorkloadSelector().getLabelsCount() == 0) {
        issues.warn("sidecar: " + Common.SELECTOR_WITHOUT_LABELS + ", will be applied to all services in namespace");
      }
    }
    if (sc.getEgressCount() == 0 && sc.getIngressCount() == 0 && !sc.hasOutboundTrafficPolicy()
        && !sc.hasInboundConnectionPool()) {
      return ValidationResult.error("sidecar: empty configuration provided");
    }
    Set<Integer> ports = new HashSet<>();
    for (IstioIngressListener in : sc.getIngressList()) {
      ingress(issues, in, ports);
    }
    if (sc.hasInboundConnectionPool()) {
      TrafficPolicyChecks.connectionPool(issues, sc.getInboundConnectionPool());
    }
    egressListeners(issues, config.namespace(), sc.getEgressList());
    if (sc.hasOutboundTrafficPolicy()) {
      outboundTrafficPolicy(issues, sc.getOutboundTrafficPolicy());
    }
    return issues.result();
  }

  private static void ingress(Issues issues, IstioIngressListener in, Set<Integer> ports) {
    if (!in.hasPort()) {
      issues.error("sidecar: port is required for ingress listeners");
      return;
    }
    SidecarPort port = in.getPort();
    if (port.getTargetPort() > 0) {
      issues.error("targetPort has no impact on Sidecars");
    }
    if (!port.getName().isEmpty()) {
      issues.error(Common.portName(port.getName()));
    }
    issues.error(Common.protocol(port.getProtocol()));
    issues.error(Common.port(Integer.toUnsignedLong(port.getNumber())));
    if (!in.getBind().isEmpty()) {
      issues.error(Addresses.ipAddress(in.getBind()));
    }
    if (!ports.add(port.getNumber())) {
      issues.error("sidecar: ports on IP bound listeners must be unique");
    }
    if (!in.getDefaultEndpoint().isEmpty()) {
      defaultEndpoint(issues, in.getDefaultEndpoint());
    }
    if (in.hasTls()) {
      ServerTLSSettings tls = in.getTls();
      if (tls.getSubjectAltNamesCount() > 0) {
        issues.error("sidecar: subjectAltNames is not supported in ingress tls");
      }
      if (tls.getHttpsRedirect()) {
        issues.error("sidecar: httpsRedirect is not supported");
      }
      if (!tls.getCredentialName().isEmpty()) {
        issues.error("sidecar: credentialName is not currently supported");
      }
      if (tls.getCredentialNamesCount() > 0) {
        issues.error("sidecar: credentialNames is not currently supported");
      }
      if (tls.getTlsCertificatesCount() > 0) {
        issues.error("sidecar: tls_certificates is not currently supported");
      }
      if (tls.getMode() == ServerTLSSettings.TLSmode.ISTIO_MUTUAL
          || tls.getMode() == ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH) {
        issues.error("configuration is invalid: cannot set mode to " + tls.getMode() + " in sidecar ingress tls");
      }
      if (!Protocol.parse(port.getProtocol()).isTls()) {
        issues.error("server cannot have TLS settings for non HTTPS/TLS ports");
      }
      ServerTlsChecks.tls(issues, tls);
    }
    if (in.hasConnectionPool()) {
      TrafficPolicyChecks.connectionPool(issues, in.getConnectionPool());
      if (in.getConnectionPool().hasHttp() && !Protocol.parse(port.getProtocol()).isHttp()) {
        issues.warnf("sidecar: HTTP connection pool settings are configured for port %d (%s) but its protocol "
            + "is not HTTP (%s); only TCP settings will apply",
            Integer.toUnsignedLong(port.getNumber()), Issues.q(port.getName()), port.getProtocol());
      }
    }
  }

  /** {@code 127.0.0.1:port}, {@code 0.0.0.0:port}, {@code [::1]:port}, {@code [::]:port} or a unix socket. */
  private static void defaultEndpoint(Issues issues, String endpoint) {
    if (endpoint.startsWith(Addresses.UNIX_PREFIX)) {
      issues.error(Addresses.unixAddress(endpoint.substring(Addresses.UNIX_PREFIX.length())));
      return;
    }
    int colon = endpoint.lastIndexOf(':');
    if (colon < 0) {
      issues.error("address " + endpoint + ": missing port in address");
      return;
    }
    String host = endpoint.substring(0, colon);
    String port = endpoint.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      issues.error("address " + endpoint + ": too many colons in address");
      return;
    }
    if (!host.isEmpty() && !Set.of("127.0.0.1", "0.0.0.0", "::1", "::").contains(host)) {
      issues.error(DEFAULT_ENDPOINT_FORM);
    }
    try {
      issues.error(Common.port(Integer.parseInt(port)));
    } catch (NumberFormatException e) {
      issues.error("sidecar: defaultEndpoint port (" + port + ") is not a number: strconv.Atoi: parsing "
          + Issues.q(port) + ": invalid syntax");
    }
  }

  private static void egressListeners(Issues issues, String namespace, List<IstioEgressListener> egress) {
    Set<Integer> ports = new HashSet<>();
    Set<String> unixSockets = new HashSet<>();
    boolean catchAllFound = false;
    for (int i = 0; i < egress.size(); i++) {
      IstioEgressListener e = egress.get(i);
      if (!e.hasPort()) {
        // Only one catch-all listener (no port), and it must come last.
        if (catchAllFound) {
          issues.error("sidecar: egress can have only one listener with empty port");
          continue;
        }
        if (i == egress.size() - 1) {
          catchAllFound = true;
        } else {
          issues.error("sidecar: the egress listener with empty port should be the last listener in the list");
        }
      } else {
        SidecarPort port = e.getPort();
        if (port.getTargetPort() > 0) {
          issues.error("targetPort has no impact on Sidecars");
        }
        egressPortBindAndCapture(issues, port, e.getBind(), e.getCaptureMode());
        if (port.getNumber() == 0) {
          if (!unixSockets.add(e.getBind())) {
            issues.error("sidecar: unix domain socket values for listeners must be unique");
          }
        } else if (!ports.add(port.getNumber())) {
          issues.error("sidecar: ports on IP bound listeners must be unique");
        }
      }
      egressHosts(issues, namespace, e.getHostsList());
    }
  }

  private static void egressPortBindAndCapture(Issues issues, SidecarPort port, String bind, CaptureMode mode) {
    if (!port.getName().isEmpty()) {
      issues.error(Common.portName(port.getName()));
    }
    issues.error(Common.protocol(port.getProtocol()));
    if (port.getNumber() == 0) {
      // Port 0 means a unix domain socket listener.
      if (!bind.startsWith(Addresses.UNIX_PREFIX)) {
        issues.error("sidecar: ports with 0 value must have a unix domain socket bind address");
      } else {
        issues.error(Addresses.unixAddress(bind.substring(Addresses.UNIX_PREFIX.length())));
      }
      if (mode != CaptureMode.DEFAULT && mode != CaptureMode.NONE) {
        issues.error("sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners");
      }
    } else {
      issues.error(Common.port(Integer.toUnsignedLong(port.getNumber())));
      if (!bind.isEmpty()) {
        issues.error(Addresses.ipAddress(bind));
      }
    }
  }

  private static void egressHosts(Issues issues, String namespace, List<String> hosts) {
    if (hosts.isEmpty()) {
      issues.error("sidecar: egress listener must contain at least one host");
      return;
    }
    Map<String, Set<String>> byNamespace = new HashMap<>();
    for (String host : hosts) {
      int slash = host.indexOf('/');
      if (slash >= 0 && !host.startsWith("~")) {
        String ns = host.substring(0, slash);
        String svc = host.substring(slash + 1);
        if (ns.equals(".")) {
          ns = namespace;
        }
        Set<String> svcs = byNamespace.computeIfAbsent(ns, k -> new HashSet<>());
        boolean duplicate = svc.equals("*") ? !svcs.isEmpty() : svcs.contains(svc) || svcs.contains("*");
        if (duplicate) {
          issues.warn("duplicated egress host: " + host);
        }
        svcs.add(svc);
      }
      issues.errors(HostNames.namespaceSlashHost(host, false, false));
    }
    if (byNamespace.getOrDefault("*", Set.of()).contains("*") && byNamespace.size() != 1) {
      issues.warn("`*/*` host select all resources, no other hosts can be added");
    }
  }

  private static void outboundTrafficPolicy(Issues issues, OutboundTrafficPolicy tp) {
    // Mode 3 is MeshConfig's ALLOW_ANY_DYNAMIC_DNS, which a Sidecar cannot use.
    if (tp.getModeValue() == 3) {
      issues.error("sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, not in Sidecar resource");
      return;
    }
    if (tp.hasEgressProxy()) {
      if (tp.getMode() != OutboundTrafficPolicy.Mode.ALLOW_ANY) {
        issues.error("sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode");
        return;
      }
      issues.error(HostNames.fqdn(tp.getEgressProxy().getHost()));
      if (!tp.getEgressProxy().hasPort()) {
        issues.error("sidecar: egress_proxy port must be non-nil");
        return;
      }
      HttpRouteChecks.destination(issues, tp.getEgressProxy());
    }
  }
}
