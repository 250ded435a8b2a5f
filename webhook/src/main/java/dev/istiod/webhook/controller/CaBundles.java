package dev.istiod.webhook.controller;

import java.util.Base64;
import java.util.function.Supplier;

/**
 * The CA bundle as a webhook configuration carries it: the PEM bytes, base64-encoded in the
 * object's JSON (fabric8's model holds that base64 text).
 */
final class CaBundles {
  private CaBundles() {}

  /** The current bundle as base64 text, or null when istiod has none yet. */
  static String current(Supplier<byte[]> pem) {
    byte[] b = pem.get();
    return b == null || b.length == 0 ? null : Base64.getEncoder().encodeToString(b);
  }
}
