package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.model.Config;
import java.util.Set;

/**
 * WorkloadEntry rules, used for WorkloadEntry objects and for the inline endpoints of a
 * STATIC ServiceEntry (upstream's validateWorkloadEntry).
 */
final class WorkloadEntryValidator implements Validator {
  @Override
  public ValidationResult validate(Config config) {
    Issues issues = new Issues();
    // Whether a port belongs to a service is unknown without the ServiceEntry: not checked here.
    entry(issues, config.spec(WorkloadEntry.class), null, true);
    return issues.result();
  }

  /**
   * @param servicePorts names of the ServiceEntry's ports, or null when not known
   * @param allowFqdn whether the address may be a DNS name (not for STATIC endpoints)
   */
  static void entry(Issues issues, WorkloadEntry we, Set<String> servicePorts, boolean allowFqdn) {
    String addr = we.getAddress();
    if (addr.isEmpty()) {
      if (we.getNetwork().isEmpty()) {
        issues.error("address is required");
        return;
      }
      issues.warnf("address is unset with network %s", q(we.getNetwork()));
    }
    boolean unix = addr.startsWith(Addresses.UNIX_PREFIX);
    if (unix) {
      issues.error(Addresses.unixAddress(addr.substring(Addresses.UNIX_PREFIX.length())));
      if (we.getPortsCount() != 0) {
        issues.error("unix endpoint " + addr + " must not include ports");
      }
    } else if (!addr.isEmpty() && !Addresses.isIp(addr)) {
      if (!allowFqdn) {
        issues.error("endpoint address " + q(addr) + " is not a valid IP address");
      } else if (HostNames.fqdn(addr).isPresent()) {
        issues.error("endpoint address " + q(addr) + " is not a valid FQDN or an IP address");
      }
    }
    we.getPortsMap().forEach((name, port) -> {
      if (servicePorts != null && !servicePorts.contains(name)) {
        issues.error("endpoint port " + Integer.toUnsignedString(port) + " is not defined by the service entry");
      }
      issues.error(Common.portName(name));
      issues.error(Common.port(Integer.toUnsignedLong(port)));
    });
    issues.errors(Common.labels(we.getLabelsMap()));
    if (unix && servicePorts != null && servicePorts.size() != 1) {
      issues.error("exactly 1 service port required for unix endpoints");
    }
  }
}
