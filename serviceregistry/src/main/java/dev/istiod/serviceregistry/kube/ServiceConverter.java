package dev.istiod.serviceregistry.kube;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.Visibility;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts Kubernetes Services into model services as upstream's {@code kube/conversion.go}: the
 * hostname {@code <name>.<ns>.svc.<domain>}, ClusterIP(s) as VIPs, headless as passthrough,
 * ExternalName as a mesh-external DNS service, port protocols from {@code appProtocol} or the port
 * name, {@code exportTo} from the {@code networking.istio.io/exportTo} annotation.
 */
final class ServiceConverter {
  private static final Logger log = LoggerFactory.getLogger(ServiceConverter.class);

  /** Ports whose protocol upstream takes as TCP when nothing declares it (SMTP, DNS, MySQL, MongoDB). */
  private static final Set<Integer> WELL_KNOWN_TCP_PORTS = Set.of(25, 53, 3306, 27017);
  private static final String GRPC_WEB = "grpc-web";

  private final String domainSuffix;
  private final Supplier<MeshConfig> mesh;

  ServiceConverter(String domainSuffix, Supplier<MeshConfig> mesh) {
    this.domainSuffix = domainSuffix;
    this.mesh = mesh;
  }

  String hostname(String name, String namespace) {
    return name + "." + namespace + ".svc." + domainSuffix;
  }

  /**
   * Converts a Service; empty (and logged) when it has nothing a proxy could use: no spec, or no
   * valid port. Ports that cannot work (number out of range) are dropped, the rest kept.
   */
  Optional<KubeService> convert(io.fabric8.kubernetes.api.model.Service svc) {
    ObjectName name = ObjectName.of(svc);
    ServiceSpec spec = svc.getSpec();
    if (spec == null) {
      log.warn("Service {} has no spec; ignoring it", name);
      return Optional.empty();
    }
    List<KubeService.PortSpec> ports = ports(name, spec);
    if (ports.isEmpty()) {
      log.debug("Service {} has no usable ports; ignoring it", name);
      return Optional.empty();
    }
    String type = PodConverter.nullToEmpty(spec.getType());
    String externalName = type.equals("ExternalName") ? PodConverter.nullToEmpty(spec.getExternalName()) : "";
    String clusterIp = PodConverter.nullToEmpty(spec.getClusterIP());
    Resolution resolution = Resolution.CLIENT_SIDE_LB;
    List<String> addresses = List.of();
    if (!externalName.isEmpty()) {
      // Upstream now treats these as aliases; without an alias resolution in the model, the name is
      // resolved by the proxy as a DNS endpoint, as upstream did before aliases.
      resolution = Resolution.DNS_LB;
    }
    if (clusterIp.equals("None")) {
      resolution = Resolution.PASSTHROUGH;
    } else if (!clusterIp.isEmpty()) {
      List<String> all = PodConverter.nullSafe(spec.getClusterIPs());
      addresses = all.size() > 1 ? List.copyOf(new LinkedHashSet<>(all)) : List.of(clusterIp);
    }
    Map<String, String> annotations = svc.getMetadata().getAnnotations() == null
        ? Map.of() : svc.getMetadata().getAnnotations();
    Service model = new Service(hostname(name.name(), name.namespace()), name.namespace(), addresses,
        ports.stream().map(KubeService.PortSpec::model).toList(), resolution, !externalName.isEmpty(),
        visibility(annotations), svc.getMetadata().getLabels(), serviceAccounts(annotations, name.namespace()),
        Service.Registry.KUBERNETES, new ConfigKey(Kind.SERVICE, name.namespace(), name.name()));
    return Optional.of(new KubeService(name, model, spec.getSelector(), ports, type, externalName));
  }

  private List<KubeService.PortSpec> ports(ObjectName name, ServiceSpec spec) {
    List<KubeService.PortSpec> out = new ArrayList<>();
    for (io.fabric8.kubernetes.api.model.ServicePort p : PodConverter.nullSafe(spec.getPorts())) {
      Integer number = p.getPort();
      if (number == null || number < 1 || number > 65535) {
        log.warn("Service {}: ignoring port {} ({}): number out of range", name, number, p.getName());
        continue;
      }
      String portName = PodConverter.nullToEmpty(p.getName());
      Protocol protocol = protocol(number, portName, p.getProtocol(), p.getAppProtocol());
      IntOrString target = p.getTargetPort();
      int targetNumber = 0;
      String targetName = "";
      if (target == null) {
        targetNumber = number; // the API server defaults targetPort to port
      } else if (target.getIntVal() != null) {
        targetNumber = target.getIntVal();
      } else if (target.getStrVal() != null) {
        // A numeric string is still a number, as Kubernetes' intstr parses it.
        try {
          targetNumber = Integer.parseInt(target.getStrVal());
        } catch (NumberFormatException e) {
          targetName = target.getStrVal();
        }
      }
      if (targetNumber < 0 || targetNumber > 65535) {
        targetNumber = 0;
      }
      out.add(new KubeService.PortSpec(new ServicePort(portName, number, protocol, targetNumber),
          p.getProtocol(), targetNumber, targetName));
    }
    return out;
  }

  /**
   * Upstream's {@code ConvertProtocol}: UDP ports are UDP; else {@code appProtocol} when set (with
   * Kubernetes' standard {@code kubernetes.io/h2c|ws|wss} names), else the port name's prefix
   * before the first dash ({@code grpc-web} whole); unknown on a well-known port means TCP.
   */
  static Protocol protocol(int port, String portName, String transport, String appProtocol) {
    if ("UDP".equalsIgnoreCase(transport)) {
      return Protocol.UDP;
    }
    String name = portName == null ? "" : portName;
    if (appProtocol != null) {
      switch (appProtocol) {
        case "kubernetes.io/h2c" -> {
          return Protocol.HTTP2;
        }
        case "kubernetes.io/ws" -> {
          return Protocol.HTTP;
        }
        case "kubernetes.io/wss" -> {
          return Protocol.HTTPS;
        }
        default -> name = appProtocol;
      }
    }
    if (name.toLowerCase(Locale.ROOT).startsWith(GRPC_WEB)) {
      return Protocol.GRPC_WEB;
    }
    int dash = name.indexOf('-');
    Protocol p = Protocol.parse(dash < 0 ? name : name.substring(0, dash));
    if (p == Protocol.UNSUPPORTED && WELL_KNOWN_TCP_PORTS.contains(port)) {
      return Protocol.TCP;
    }
    return p;
  }

  /** The exportTo annotation (comma separated), else the mesh's default for services. */
  private Visibility visibility(Map<String, String> annotations) {
    String exportTo = annotations.get(KubeLabels.EXPORT_TO);
    Set<String> namespaces = new LinkedHashSet<>();
    if (exportTo != null) {
      for (String ns : exportTo.split(",")) {
        if (!ns.isBlank()) {
          namespaces.add(ns.trim());
        }
      }
    }
    if (namespaces.isEmpty()) {
      List<String> meshDefault = mesh.get().getDefaultServiceExportToList();
      return meshDefault.isEmpty() ? Visibility.PUBLIC : new Visibility(Set.copyOf(meshDefault));
    }
    return new Visibility(namespaces);
  }

  /** Extra identities a Service declares for workloads outside the cluster (upstream's alpha annotations). */
  private List<String> serviceAccounts(Map<String, String> annotations, String namespace) {
    List<String> out = new ArrayList<>();
    String canonical = annotations.get(KubeLabels.CANONICAL_SERVICE_ACCOUNTS);
    if (canonical != null && !canonical.isEmpty()) {
      out.addAll(List.of(canonical.split(",")));
    }
    String kube = annotations.get(KubeLabels.KUBERNETES_SERVICE_ACCOUNTS);
    if (kube != null && !kube.isEmpty()) {
      String td = mesh.get().getTrustDomain().isEmpty() ? "cluster.local" : mesh.get().getTrustDomain();
      for (String sa : kube.split(",")) {
        out.add("spiffe://" + td + "/ns/" + namespace + "/sa/" + sa);
      }
    }
    return out;
  }
}
