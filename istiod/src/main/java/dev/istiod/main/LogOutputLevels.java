package dev.istiod.main;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Upstream's {@code --log_output_level} ({@code scope:level,scope:level}, e.g. {@code default:info,ads:debug}),
 * applied to this daemon's loggers. Istio names log scopes; here a scope stands for the packages that do that
 * scope's work, so {@code ads:debug} turns on debug logging of the xDS server as it does upstream.
 * Scopes that have no counterpart here are accepted and ignored (upstream keeps scopes it may register later).
 *
 * @param levels by scope, in the order given; {@code default} is the root logger
 */
record LogOutputLevels(Map<String, Level> levels) {
  /** Upstream scope → the loggers (package prefixes) that do its work here. */
  private static final Map<String, List<String>> SCOPES = Map.ofEntries(
      Map.entry("ads", List.of("dev.istiod.xds.server")),
      Map.entry("delta", List.of("dev.istiod.xds.server.DeltaConnection")),
      Map.entry("model", List.of("dev.istiod.model")),
      Map.entry("kube", List.of("dev.istiod.serviceregistry.kube", "dev.istiod.configstore.kube")),
      Map.entry("serviceentry", List.of("dev.istiod.serviceregistry.serviceentry")),
      Map.entry("ca", List.of("dev.istiod.ca")),
      Map.entry("security", List.of("dev.istiod.ca")),
      Map.entry("validation", List.of("dev.istiod.webhook.validation")),
      Map.entry("validationController", List.of("dev.istiod.webhook.controller")),
      Map.entry("injection", List.of("dev.istiod.webhook.inject")),
      Map.entry("webhookpatch", List.of("dev.istiod.webhook.controller")),
      Map.entry("leader", List.of("dev.istiod.leaderelection")));

  LogOutputLevels {
    levels = Map.copyOf(levels);
  }

  /**
   * Parses the flag's value; empty means "leave the configured levels alone".
   *
   * @throws IllegalArgumentException naming the bad entry and the valid levels
   */
  static LogOutputLevels parse(String flag) {
    Map<String, Level> levels = new LinkedHashMap<>();
    for (String entry : flag.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int colon = entry.lastIndexOf(':');
      if (colon <= 0 || colon == entry.length() - 1) {
        throw new IllegalArgumentException("invalid --log_output_level entry '" + entry.strip()
            + "': expected <scope>:<level>, e.g. default:info");
      }
      levels.put(entry.substring(0, colon).strip(), level(entry.substring(colon + 1).strip(), entry.strip()));
    }
    return new LogOutputLevels(levels);
  }

  private static Level level(String name, String entry) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "debug" -> Level.DEBUG;
      case "info" -> Level.INFO;
      case "warn", "warning" -> Level.WARN;
      case "error", "fatal" -> Level.ERROR;
      case "none" -> Level.OFF;
      default -> throw new IllegalArgumentException("invalid --log_output_level entry '" + entry
          + "': unknown level '" + name + "' (use debug, info, warn, error, fatal or none)");
    };
  }

  /** Sets the levels on the logging backend; {@code default} first, so that scopes refine it. */
  void apply() {
    Level root = levels.get("default");
    if (root != null) {
      logger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(root);
    }
    levels.forEach((scope, level) -> SCOPES.getOrDefault(scope, List.of())
        .forEach(name -> logger(name).setLevel(level)));
  }

  private static Logger logger(String name) {
    return (Logger) LoggerFactory.getLogger(name);
  }
}
