package dev.istiod.model;

/** Why a push was requested; the names match upstream's {@code pilot_push_triggers} labels. */
public enum TriggerReason {
  ENDPOINT("endpoint"),
  HEADLESS_ENDPOINT("headlessendpoint"),
  CONFIG("config"),
  SERVICE("service"),
  PROXY("proxy"),
  GLOBAL("global"),
  UNKNOWN("unknown"),
  DEBUG("debug"),
  SECRET("secret"),
  NETWORKS("networks"),
  PROXY_REQUEST("proxyrequest"),
  NAMESPACE("namespace"),
  CLUSTER("cluster");

  private final String label;

  TriggerReason(String label) {
    this.label = label;
  }

  /** The metric label value. */
  public String label() {
    return label;
  }
}
