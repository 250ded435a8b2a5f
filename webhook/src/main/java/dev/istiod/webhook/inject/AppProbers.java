package dev.istiod.webhook.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ISTIO_KUBE_APP_PROBERS} on the proxy: appended on first injection; on re-injection the
 * probes already recorded are kept and new ones added (upstream's mergeOrAppendProbers).
 */
final class AppProbers {
  private static final Logger log = LoggerFactory.getLogger(AppProbers.class);

  private AppProbers() {}

  static void mergeOrAppend(ArrayNode env, String probers, boolean previouslyInjected) {
    if (previouslyInjected) {
      for (JsonNode e : env) {
        if (ProbeRewrite.PROBERS_ENV.equals(e.path("name").asText()) && e instanceof ObjectNode entry) {
          try {
            Map<String, JsonNode> merged = new TreeMap<>();
            Json.read(probers).properties().forEach(p -> merged.put(p.getKey(), p.getValue()));
            Json.read(entry.path("value").asText("")).properties().forEach(p -> merged.put(p.getKey(), p.getValue()));
            ObjectNode json = Json.object();
            merged.forEach(json::set);
            entry.removeAll();
            entry.put("name", ProbeRewrite.PROBERS_ENV).put("value", Json.write(json));
          } catch (JsonProcessingException ex) {
            log.error("failed to merge the existing {}: {}", ProbeRewrite.PROBERS_ENV, ex.getOriginalMessage());
          }
          return;
        }
      }
    }
    env.addObject().put("name", ProbeRewrite.PROBERS_ENV).put("value", probers);
  }
}
