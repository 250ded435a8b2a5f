package dev.istiod.configstore;

/** How strictly object fields are checked while decoding. */
public enum DecodeMode {
  /**
   * Unknown fields, duplicate keys and non-string labels are errors: what a user writes
   * (config files, the validation webhook) must be exactly what Istio understands, so typos
   * surface instead of being silently dropped.
   */
  STRICT,
  /**
   * Unknown fields are ignored: objects read back from a cluster may carry fields of a newer
   * Istio API than this build knows, and must still be served.
   */
  LENIENT
}
