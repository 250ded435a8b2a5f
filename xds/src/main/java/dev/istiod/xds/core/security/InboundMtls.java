package dev.istiod.xds.core.security;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.push.PeerAuthenticationIndex.MutualTlsMode;
import dev.istiod.model.push.PeerAuthenticationIndex.WorkloadMtls;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a sidecar's inbound filter chains accept on a workload port under PeerAuthentication, as
 * upstream's {@code filterchain_options.go} with {@code BuildInboundTLS}: per port and protocol,
 * the list of chains to build, each matching a transport (TLS detected by the TLS inspector, or
 * {@code raw_buffer}) and ALPN values, and terminating Istio mTLS or not.
 * <ul>
 *   <li>STRICT: only chains that terminate mTLS.</li>
 *   <li>PERMISSIVE (the default): mTLS chains for clients that announce Istio ALPNs, plaintext
 *       chains, and (for TCP) TLS the workload terminates itself, passed through.</li>
 *   <li>DISABLE: plaintext chains only.</li>
 * </ul>
 *
 * <p>A proxy without agent certificates ({@link AgentSds}) cannot terminate mTLS: its chains are
 * the plaintext ones (what every proxy got before the CA existed), except that a port under
 * STRICT gets one chain that refuses every connection. STRICT promises that plaintext is refused;
 * such a proxy keeps that promise by refusing everything rather than silently accepting
 * plaintext.
 */
public final class InboundMtls {
  /** What a chain runs: an HTTP connection manager, a TCP proxy, or nothing but a refusal. */
  public enum ChainKind { HTTP, TCP, REFUSE }

  /** The listener protocol of a port (upstream's {@code ListenerProtocol}). */
  public enum PortProtocol { HTTP, TCP, AUTO }

  /**
   * One filter chain to build for a port.
   *
   * @param transportProtocol {@code tls}, {@code raw_buffer}, or "" (any)
   * @param tls the mTLS context the chain terminates, if it does
   */
  public record ChainOption(ChainKind kind, List<String> applicationProtocols, String transportProtocol,
      Optional<DownstreamTlsContext> tls) {
    public ChainOption {
      applicationProtocols = List.copyOf(applicationProtocols);
    }
  }

  /** ALPNs of HTTP a client sidecar detected and sends over mTLS (istio-proxy's ALPN filter). */
  static final List<String> MTLS_HTTP_ALPNS = List.of("istio-http/1.0", "istio-http/1.1", "istio-h2");
  /** Every ALPN an Istio mTLS client may announce. */
  static final List<String> ALL_ISTIO_MTLS_ALPNS =
      List.of("istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2");
  /** What a client sidecar announces for TCP (and, without istio-proxy's ALPN filter, for HTTP). */
  static final List<String> MTLS_TCP_ALPNS = List.of("istio-peer-exchange", "istio");

  private final WorkloadMtls policy;
  private final boolean agentCertificates;
  private final DownstreamTlsContext httpContext;
  private final DownstreamTlsContext tcpContext;

  private InboundMtls(WorkloadMtls policy, boolean agentCertificates, MeshConfig mesh) {
    this.policy = policy;
    this.agentCertificates = agentCertificates;
    this.httpContext = IstioMtls.downstream(mesh, false);
    this.tcpContext = IstioMtls.downstream(mesh, true);
  }

  /** The policy of the proxy's own workload (its namespace and labels). */
  public static InboundMtls of(ProxyInputs in) {
    WorkloadMtls policy = in.push().peerAuthentications().forWorkload(in.proxy().configNamespace(), in.proxy().labels());
    return new InboundMtls(policy, AgentSds.available(in.proxy()), in.mesh());
  }

  /** The mode of a workload port (0 for the port-less passthrough chains). */
  public MutualTlsMode mode(int port) {
    return policy.forPort(port);
  }

  /**
   * Ports with a port-level mode that no declared port covers: upstream gives each its own
   * passthrough chains so the port's mode applies to undeclared traffic too.
   *
   * @param declared the workload ports the proxy already builds chains for (Sidecar ingress
   *     ports when it has any, else its service targets' ports)
   */
  public Set<Integer> extraPassthroughPorts(Set<Integer> declared) {
    Set<Integer> out = new TreeSet<>(policy.perPort().keySet());
    out.removeAll(declared);
    out.remove(0);
    return out;
  }

  /** The chains of a port, in upstream's order. */
  public List<ChainOption> options(int port, PortProtocol protocol) {
    MutualTlsMode mode = mode(port);
    if (!agentCertificates) {
      return mode == MutualTlsMode.STRICT
          ? List.of(new ChainOption(ChainKind.REFUSE, List.of(), "", Optional.empty()))
          : plaintext(protocol);
    }
    return switch (mode) {
      case STRICT -> strict(protocol);
      case PERMISSIVE -> permissive(protocol);
      default -> plaintext(protocol);
    };
  }

  private List<ChainOption> strict(PortProtocol protocol) {
    return switch (protocol) {
      case HTTP -> List.of(mtls(ChainKind.HTTP, List.of()));
      case TCP -> List.of(mtls(ChainKind.TCP, List.of()));
      case AUTO -> List.of(mtls(ChainKind.HTTP, MTLS_HTTP_ALPNS), mtls(ChainKind.TCP, List.of()));
    };
  }

  private List<ChainOption> permissive(PortProtocol protocol) {
    List<ChainOption> out = new ArrayList<>();
    switch (protocol) {
      case HTTP -> {
        out.add(mtls(ChainKind.HTTP, ALL_ISTIO_MTLS_ALPNS));
        out.add(plain(ChainKind.HTTP, List.of(), Filters.RAW_BUFFER));
      }
      case TCP -> {
        out.add(mtls(ChainKind.TCP, ALL_ISTIO_MTLS_ALPNS));
        out.add(plain(ChainKind.TCP, List.of(), Filters.TLS)); // the workload's own TLS, passed through
        out.add(plain(ChainKind.TCP, List.of(), Filters.RAW_BUFFER));
      }
      case AUTO -> {
        out.add(mtls(ChainKind.HTTP, MTLS_HTTP_ALPNS));
        out.add(plain(ChainKind.HTTP, Filters.PLAINTEXT_HTTP_ALPNS, Filters.RAW_BUFFER));
        out.add(mtls(ChainKind.TCP, MTLS_TCP_ALPNS));
        out.add(plain(ChainKind.TCP, List.of(), Filters.RAW_BUFFER));
        out.add(plain(ChainKind.TCP, List.of(), Filters.TLS));
      }
    }
    return out;
  }

  /** What every port got before PeerAuthentication: plaintext, HTTP detected by the inspector on AUTO ports. */
  private static List<ChainOption> plaintext(PortProtocol protocol) {
    return switch (protocol) {
      case HTTP -> List.of(plain(ChainKind.HTTP, List.of(), Filters.RAW_BUFFER));
      case TCP -> List.of(plain(ChainKind.TCP, List.of(), Filters.RAW_BUFFER));
      case AUTO -> List.of(plain(ChainKind.HTTP, Filters.PLAINTEXT_HTTP_ALPNS, Filters.RAW_BUFFER),
          plain(ChainKind.TCP, List.of(), Filters.RAW_BUFFER));
    };
  }

  private ChainOption mtls(ChainKind kind, List<String> alpns) {
    return new ChainOption(kind, alpns, Filters.TLS, Optional.of(kind == ChainKind.HTTP ? httpContext : tcpContext));
  }

  private static ChainOption plain(ChainKind kind, List<String> alpns, String transport) {
    return new ChainOption(kind, alpns, transport, Optional.empty());
  }
}
