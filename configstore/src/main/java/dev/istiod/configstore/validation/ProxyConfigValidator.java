package dev.istiod.configstore.validation;

import dev.istiod.api.networking.v1beta1.ProxyConfig;
import dev.istiod.model.Config;

/** ProxyConfig rules, as upstream's {@code ValidateProxyConfig}: a sound selector, no negative concurrency. */
final class ProxyConfigValidator implements Validator {
  @Override
  public ValidationResult validate(Config config) {
    ProxyConfig pc = config.spec(ProxyConfig.class);
    Issues issues = new Issues();
    if (pc.hasSelector()) {
      SelectorChecks.selector(issues, pc.getSelector());
    }
    if (pc.getConcurrency().getValue() < 0) {
      issues.error("concurrency must be greater than or equal to 0");
    }
    return issues.result();
  }
}
