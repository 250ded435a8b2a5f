package dev.istiod.webhook.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Adds the istio-cni network to a pod's Multus {@code k8s.v1.cni.cncf.io/networks} annotation,
 * which is either a comma-separated list or a JSON array (upstream's appendMultusNetwork).
 */
final class MultusNetworks {
  private MultusNetworks() {}

  static String append(String existing, String network) {
    if (existing.isEmpty()) {
      return network;
    }
    int close = existing.lastIndexOf(']');
    if (close >= 0) {
      int slash = network.indexOf('/');
      String ns = slash < 0 ? "" : network.substring(0, slash);
      String name = slash < 0 ? network : network.substring(slash + 1);
      JsonNode list;
      try {
        list = Json.read(existing);
      } catch (JsonProcessingException e) {
        return existing; // not JSON after all: leave it as the user wrote it
      }
      for (JsonNode n : list) {
        if (name.equals(n.path("name").asText(null)) && ns.equals(n.path("namespace").asText(""))) {
          return existing;
        }
      }
      String entry = ns.isEmpty() ? ", {\"name\": \"" + name + "\"}"
          : ", {\"name\": \"" + name + "\", \"namespace\": \"" + ns + "\"}";
      return existing.substring(0, close) + entry + existing.substring(close);
    }
    for (String n : existing.split(",")) {
      if (n.strip().equals(network)) {
        return existing;
      }
    }
    return existing + ", " + network;
  }
}
