package dev.istiod.configstore.validation;

import dev.istiod.api.security.v1beta1.PeerAuthentication;
import dev.istiod.model.Config;

/** PeerAuthentication rules: port-level mTLS needs a workload selector and valid ports. */
final class PeerAuthenticationValidator implements Validator {
  @Override
  public ValidationResult validate(Config config) {
    PeerAuthentication pa = config.spec(PeerAuthentication.class);
    Issues issues = new Issues();
    boolean emptySelector = !pa.hasSelector() || pa.getSelector().getMatchLabelsCount() == 0;
    if (emptySelector && pa.getPortLevelMtlsCount() != 0) {
      issues.error("mesh/namespace peer authentication cannot have port level mTLS");
    }
    for (int port : pa.getPortLevelMtlsMap().keySet()) {
      if (port == 0 || Integer.compareUnsigned(port, 65535) > 0) {
        issues.error("port must be in range 1..65535");
      }
    }
    if (pa.hasSelector()) {
      SelectorChecks.selector(issues, pa.getSelector());
    }
    return issues.result();
  }
}
