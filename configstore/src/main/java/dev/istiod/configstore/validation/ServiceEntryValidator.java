package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.api.networking.v1alpha3.ServiceEntry.Resolution;
import dev.istiod.api.networking.v1alpha3.ServicePort;
import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.model.Config;
import dev.istiod.model.Protocol;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** ServiceEntry rules (upstream's ValidateServiceEntry). */
final class ServiceEntryValidator implements Validator {
  static final String AUTOALLOCATE_LABEL = "networking.istio.io/enable-autoallocate-ip";
  static final String USE_WAYPOINT_LABEL = "istio.io/use-waypoint";

  @Override
  public ValidationResult validate(Config config) {
    ServiceEntry se = config.spec(ServiceEntry.class);
    Issues issues = new Issues();
    if (se.hasWorkloadSelector()) {
      List<String> selectorErrors = Common.selectorLabels(se.getWorkloadSelector().getLabelsMap());
      if (!selectorErrors.isEmpty()) {
        return new ValidationResult(selectorErrors, List.of());
      }
      if (se.getWorkloadSelector().getLabelsCount() == 0) {
        issues.warn("service entry: " + Common.SELECTOR_WITHOUT_LABELS + ", will be applied to all services in namespace");
      }
      if (se.getEndpointsCount() > 0) {
        issues.error("only one of WorkloadSelector or Endpoints is allowed in Service Entry");
      }
    }
    hosts(issues, se);
    boolean cidr = false;
    for (String address : se.getAddressesList()) {
      cidr |= address.contains("/");
      issues.error(Addresses.ipSubnet(address));
    }
    if (cidr && se.getResolution() != Resolution.NONE && se.getResolution() != Resolution.STATIC) {
      issues.error("CIDR addresses are allowed only for NONE/STATIC resolution types");
    }
    Set<String> portNames = ports(issues, se, autoAllocates(config, se));
    resolution(issues, config, se, portNames);
    // Plain TCP cannot tell hosts apart (no Host header, no SNI), unless hosts are ignored (NONE).
    if (se.getResolution() != Resolution.NONE && se.getHostsCount() > 1) {
      for (ServicePort port : se.getPortsList()) {
        Protocol p = Protocol.parse(port.getProtocol());
        if (!p.isHttp() && !p.isTls()) {
          issues.error("multiple hosts provided with non-HTTP, non-TLS ports");
          break;
        }
      }
    }
    Common.exportTo(issues, config.namespace(), se.getExportToList(), true, false);
    return issues.result();
  }

  private static void hosts(Issues issues, ServiceEntry se) {
    if (se.getHostsCount() == 0) {
      issues.error("service entry must have at least one host");
    }
    for (String host : se.getHostsList()) {
      if (host.equals("*")) {
        issues.error("invalid host " + host);
        continue;
      }
      issues.error(HostNames.wildcardDomain(host));
      if (se.getResolution() != Resolution.DYNAMIC_DNS) {
        HostNames.partialWildcard(host).ifPresent(issues::warn);
      }
    }
  }

  /** Upstream's v2 IP auto-allocation (PILOT_ENABLE_IP_AUTOALLOCATE defaults to true). */
  private static boolean autoAllocates(Config config, ServiceEntry se) {
    if (se.getResolution() == Resolution.NONE) {
      return false;
    }
    String optOut = config.meta().labels().get(AUTOALLOCATE_LABEL);
    if (optOut != null && optOut.equalsIgnoreCase("false")) {
      return false;
    }
    return se.getAddressesCount() == 0;
  }

  private static Set<String> ports(Issues issues, ServiceEntry se, boolean autoAllocation) {
    Set<String> names = new HashSet<>();
    Set<Integer> numbers = new HashSet<>();
    for (ServicePort port : se.getPortsList()) {
      if (!names.add(port.getName())) {
        issues.error("service entry port name " + q(port.getName()) + " already defined");
      }
      if (!numbers.add(port.getNumber())) {
        issues.error("service entry port " + Integer.toUnsignedString(port.getNumber()) + " already defined");
      }
      if (port.getTargetPort() != 0) {
        issues.error(Common.port(Integer.toUnsignedLong(port.getTargetPort())));
      }
      if (se.getAddressesCount() == 0 && !autoAllocation
          && (port.getProtocol().isEmpty() || port.getProtocol().equals("TCP"))) {
        issues.warn("addresses are required for ports serving TCP (or unset) protocol when IP "
            + "Autoallocation is not enabled");
      }
      issues.error(Common.portName(port.getName()));
      issues.error(Common.protocol(port.getProtocol()));
      issues.error(Common.port(Integer.toUnsignedLong(port.getNumber())));
    }
    return names;
  }

  private static void resolution(Issues issues, Config config, ServiceEntry se, Set<String> portNames) {
    Resolution r = se.getResolution();
    switch (r) {
      case NONE -> {
        if (se.getEndpointsCount() != 0) {
          issues.error("no endpoints should be provided for resolution type none");
        }
        if (se.hasWorkloadSelector()) {
          issues.warn("workloadSelector should not be set when resolution mode is NONE");
        }
      }
      case STATIC -> se.getEndpointsList().forEach(ep -> WorkloadEntryValidator.entry(issues, ep, portNames, false));
      case DNS, DNS_ROUND_ROBIN -> dns(issues, se, portNames);
      case DYNAMIC_DNS -> dynamicDns(issues, config, se);
      default -> issues.error("unsupported resolution type " + r);
    }
  }

  private static void dns(Issues issues, ServiceEntry se, Set<String> portNames) {
    Resolution r = se.getResolution();
    if (se.getEndpointsCount() == 0) {
      // Without endpoints the hosts themselves are resolved, so they must be real names.
      for (String host : se.getHostsList()) {
        Optional<String> err = HostNames.fqdn(host);
        if (err.isPresent()) {
          issues.error("hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for "
              + "resolution mode " + r + ", " + err.get());
          break;
        }
      }
    }
    if (r == Resolution.DNS_ROUND_ROBIN && se.getEndpointsCount() > 1) {
      issues.error("there must only be 0 or 1 endpoint for resolution mode " + r);
    }
    for (WorkloadEntry ep : se.getEndpointsList()) {
      if (!Addresses.isIp(ep.getAddress()) && HostNames.fqdn(ep.getAddress()).isPresent()) {
        issues.error("endpoint address " + q(ep.getAddress()) + " is not a valid FQDN or an IP address");
      }
      issues.errors(Common.labels(ep.getLabelsMap()));
      ep.getPortsMap().forEach((name, port) -> {
        if (!portNames.contains(name)) {
          issues.error("endpoint port " + Integer.toUnsignedString(port) + " is not defined by the service entry");
        }
        issues.error(Common.portName(name));
        issues.error(Common.port(Integer.toUnsignedLong(port)));
      });
    }
    if (se.getAddressesCount() > 0 && se.getHostsCount() > 1
        && se.getPortsList().stream().anyMatch(p -> Protocol.parse(p.getProtocol()).isTcp())) {
      issues.warn("service entry can not have more than one host specified simultaneously with address and tcp port");
    }
  }

  private static void dynamicDns(Issues issues, Config config, ServiceEntry se) {
    Resolution r = se.getResolution();
    if (se.getHostsCount() == 0) {
      issues.error("at least one wildcard host must be provided for resolution type " + r);
    }
    for (String host : se.getHostsList()) {
      if (!HostNames.isWildcarded(host)) {
        issues.error("host must be wildcarded for resolution mode " + r);
      }
    }
    if (se.getAddressesCount() != 0) {
      issues.error("addresses cannot be set for resolution type " + r
          + ". HTTP route domains will only be generatedfrom the hosts field values");
    }
    if (se.getEndpointsCount() != 0) {
      issues.error("endpoints cannot be set for resolution type " + r
          + ". Destination IP address determined from hostsfield values");
    }
    for (ServicePort port : se.getPortsList()) {
      Protocol p = Protocol.parse(port.getProtocol());
      if (p != Protocol.HTTP && p != Protocol.TLS && p != Protocol.GRPC && p != Protocol.HTTP2) {
        issues.error("only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type " + r);
      }
    }
    String waypoint = config.meta().labels().get(USE_WAYPOINT_LABEL);
    boolean usesWaypoint = waypoint != null && !waypoint.isEmpty() && !waypoint.equalsIgnoreCase("none");
    if (se.getLocation() == ServiceEntry.Location.MESH_INTERNAL && usesWaypoint) {
      issues.error("location MESH_INTERNAL with resolution type " + r + " is not supported when using waypoints");
    }
  }
}
