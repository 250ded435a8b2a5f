package dev.istiod.ca.auth;

/** How a caller proved who it is (upstream's AuthSource). */
public enum AuthSource {
  CLIENT_CERTIFICATE,
  ID_TOKEN
}
