package dev.istiod.xds.core.security.authn;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.math.BigInteger;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a fetched JWKS document before istiod inlines it. Envoy refuses a listener whose local JWKS it cannot
 * parse (e.g. "Jwks RSA [n] or [e] field is missing or has a parse error"), so one bad document from an
 * issuer's server would make a proxy reject every listener update; a document that fails here is treated like
 * a failed fetch instead (its rule's tokens are refused, nothing else breaks). The checks are what Envoy's JWKS
 * parser needs per key type, kept conservative: an RSA modulus must be odd and at least 1024 bits.
 */
final class JwksDocuments {
  private static final Set<String> EC_CURVES = Set.of("P-256", "P-384", "P-521");

  private JwksDocuments() {}

  /** Why Envoy would not accept this document, or empty when it would. */
  static Optional<String> problem(Struct doc) {
    Value keys = doc.getFieldsOrDefault("keys", Value.getDefaultInstance());
    if (!keys.hasListValue() || keys.getListValue().getValuesCount() == 0) {
      return Optional.of("\"keys\" is not a non-empty list");
    }
    for (int i = 0; i < keys.getListValue().getValuesCount(); i++) {
      Value key = keys.getListValue().getValues(i);
      Optional<String> p = key.hasStructValue() ? keyProblem(key.getStructValue())
          : Optional.of("not an object");
      if (p.isPresent()) {
        return Optional.of("key " + i + ": " + p.get());
      }
    }
    return Optional.empty();
  }

  private static Optional<String> keyProblem(Struct key) {
    String kty = string(key, "kty");
    switch (kty) {
      case "RSA" -> {
        Optional<BigInteger> n = unsigned(key, "n");
        Optional<BigInteger> e = unsigned(key, "e");
        if (n.isEmpty() || e.isEmpty() || e.get().signum() == 0) {
          return Optional.of("RSA n or e missing or not base64url");
        }
        if (!n.get().testBit(0) || n.get().bitLength() < 1024) {
          return Optional.of("RSA modulus is even or shorter than 1024 bits");
        }
        return Optional.empty();
      }
      case "EC" -> {
        return EC_CURVES.contains(string(key, "crv")) && unsigned(key, "x").isPresent() && unsigned(key, "y").isPresent()
            ? Optional.empty() : Optional.of("EC key needs crv P-256/P-384/P-521 and base64url x and y");
      }
      case "OKP" -> {
        return "Ed25519".equals(string(key, "crv")) && unsigned(key, "x").isPresent() ? Optional.empty()
            : Optional.of("OKP key needs crv Ed25519 and base64url x");
      }
      case "oct" -> {
        return unsigned(key, "k").isPresent() ? Optional.empty() : Optional.of("oct key needs base64url k");
      }
      default -> {
        return Optional.of("unsupported kty \"" + kty + "\"");
      }
    }
  }

  private static String string(Struct s, String field) {
    return s.getFieldsOrDefault(field, Value.getDefaultInstance()).getStringValue();
  }

  private static Optional<BigInteger> unsigned(Struct s, String field) {
    String v = string(s, field);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new BigInteger(1, Base64.getUrlDecoder().decode(v.replace("=", ""))));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
