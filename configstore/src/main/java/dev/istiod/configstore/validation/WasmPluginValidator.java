package dev.istiod.configstore.validation;

import dev.istiod.api.extensions.v1alpha1.EnvValueSource;
import dev.istiod.api.extensions.v1alpha1.EnvVar;
import dev.istiod.api.extensions.v1alpha1.WasmPlugin;
import dev.istiod.api.type.v1beta1.PortSelector;
import dev.istiod.model.Config;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * WasmPlugin rules, as upstream's {@code ValidateWasmPlugin}: one of selector or target
 * references, a URL with a scheme istio-agent can fetch (none, {@code file}, {@code http},
 * {@code https}, {@code oci}), a well-formed SHA-256, bounded names, unique VM environment
 * variables and match ports in range. Each check reports at most its first problem, as upstream.
 */
final class WasmPluginValidator implements Validator {
  private static final Set<String> SCHEMES = Set.of("", "file", "http", "https", "oci");

  @Override
  public ValidationResult validate(Config config) {
    WasmPlugin w = config.spec(WasmPlugin.class);
    Issues issues = new Issues();
    SelectorChecks.oneOfSelectorType(issues, w.hasSelector(), w.hasTargetRef(), w.getTargetRefsCount());
    if (w.hasSelector()) {
      SelectorChecks.selector(issues, w.getSelector());
    }
    if (w.hasTargetRef()) {
      SelectorChecks.targetRef(issues, w.getTargetRef());
    }
    w.getTargetRefsList().forEach(r -> SelectorChecks.targetRef(issues, r));
    issues.error(url(w.getUrl()));
    issues.error(sha256(w.getSha256()));
    if (w.getImagePullSecret().length() > 253) {
      issues.error("imagePullSecret field must be less than 253 characters long");
    }
    if (w.getPluginName().length() > 256) {
      issues.error("pluginName field must be less than 255 characters long");
    }
    issues.error(vmEnv(w.getVmConfig().getEnvList()));
    issues.error(match(w.getMatchList()));
    return issues.result();
  }

  /**
   * Upstream parses the URL as a request URI, and failing that as {@code http://} + the URL (an
   * OCI reference such as {@code ghcr.io/org/filter:1.0} has no scheme), then checks the scheme.
   */
  static Optional<String> url(String url) {
    if (url.isEmpty()) {
      return Optional.of("url field needs to be set");
    }
    String scheme;
    URI parsed = parse(url);
    if (parsed != null && (parsed.getScheme() != null || url.startsWith("/"))) {
      scheme = parsed.getScheme() == null ? "" : parsed.getScheme();
    } else if (parse("http://" + url) != null) {
      scheme = "http";
    } else {
      return Optional.of("failed to parse url: parse " + Issues.q(url) + ": invalid URI for request");
    }
    if (!SCHEMES.contains(scheme)) {
      return Optional.of("url contains unsupported scheme: " + scheme);
    }
    return Optional.empty();
  }

  private static URI parse(String s) {
    try {
      return new URI(s);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static Optional<String> sha256(String sha) {
    if (sha.isEmpty()) {
      return Optional.empty();
    }
    if (sha.length() != 64) {
      return Optional.of("sha256 field must be 64 characters long");
    }
    for (char c : sha.toCharArray()) {
      if (!(c >= 'a' && c <= 'f' || c >= '0' && c <= '9')) {
        return Optional.of("sha256 field must match [a-f0-9]{64} pattern");
      }
    }
    return Optional.empty();
  }

  private static Optional<String> vmEnv(List<EnvVar> env) {
    Set<String> names = new HashSet<>();
    for (EnvVar e : env) {
      if (e.getName().isEmpty()) {
        return Optional.of("spec.vmConfig.env invalid");
      }
      if (e.getName().length() > 256) {
        return Optional.of("env.name field must be less than 255 characters long");
      }
      if (!names.add(e.getName())) {
        return Optional.of("duplicate env");
      }
      if (e.getValueFrom() != EnvValueSource.INLINE && !e.getValue().isEmpty()) {
        return Optional.of("value may only be set when valueFrom is INLINE");
      }
    }
    return Optional.empty();
  }

  private static Optional<String> match(List<WasmPlugin.TrafficSelector> selectors) {
    for (int s = 0; s < selectors.size(); s++) {
      List<PortSelector> ports = selectors.get(s).getPortsList();
      for (int p = 0; p < ports.size(); p++) {
        int n = ports.get(p).getNumber();
        if (n == 0 || Integer.compareUnsigned(n, 65535) > 0) {
          return Optional.of("spec.Match[" + s + "].Ports[" + p + "] is out of range: " + Integer.toUnsignedString(n));
        }
      }
    }
    return Optional.empty();
  }
}
