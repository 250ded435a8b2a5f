package dev.istiod.webhook.inject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxy settings carried in the webhook's path, for an injector serving another cluster:
 * {@code /inject/cluster/c1/net/n1} sets {@code ISTIO_META_CLUSTER_ID=c1} and
 * {@code ISTIO_META_NETWORK=n1}; other keys become upper-cased env names; {@code --slash--} in a
 * value stands for '/'. The legacy {@code /inject/:ENV:K=V:ENV:K2=V2} form is read too.
 */
final class InjectPath {
  private static final Map<String, String> KNOWN = Map.of("cluster", "ISTIO_META_CLUSTER_ID", "net", "ISTIO_META_NETWORK");
  private static final Logger log = LoggerFactory.getLogger(InjectPath.class);

  private InjectPath() {}

  static Map<String, String> envs(String path) {
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String[] parts = p.split("/", 3);
    List<String> items = new ArrayList<>();
    if (parts.length == 3) {
      if (parts[2].startsWith(":ENV:")) {
        String[] pairs = parts[2].split(":ENV:", -1);
        for (int i = 1; i < pairs.length; i++) {
          String[] kv = pairs[i].split("=", 2);
          if (!kv[0].isEmpty() && kv.length == 2) {
            items.add(kv[0]);
            items.add(kv[1]);
          }
        }
      } else {
        String[] segments = parts[2].split("/", -1);
        for (int i = 0; i < segments.length; i++) {
          items.add(i % 2 == 1 ? segments[i].replace("--slash--", "/") : segments[i]);
        }
      }
    }
    Map<String, String> envs = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i += 2) {
      if (i == items.size() - 1) {
        log.warn("odd number of inject env entries in {}, ignoring the last key {}", path, items.get(i));
        break;
      }
      String key = items.get(i);
      String env = KNOWN.getOrDefault(key, key.toUpperCase(Locale.ROOT));
      if (!env.isEmpty()) {
        envs.put(env, items.get(i + 1));
      }
    }
    return envs;
  }
}
