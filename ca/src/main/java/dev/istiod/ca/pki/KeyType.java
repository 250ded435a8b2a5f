package dev.istiod.ca.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;

/**
 * The key types the CA creates: RSA (istiod's default, {@code CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE}
 * bits) or EC P-256 / P-384. A certificate istiod issues for itself follows the CA key's type, as
 * upstream's GenKeyCert does (RSA 2048 for an RSA CA, the CA's curve for an EC CA).
 */
public enum KeyType {
  RSA,
  EC_P256,
  EC_P384;

  /** The smallest RSA key upstream accepts. */
  public static final int MIN_RSA_BITS = 2048;

  public KeyPair generate(int rsaBits) {
    try {
      if (this == RSA) {
        if (rsaBits < MIN_RSA_BITS) {
          throw new IllegalArgumentException("requested key size does not meet the minimum required size of "
              + MIN_RSA_BITS + " (requested: " + rsaBits + ")");
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(rsaBits);
        return g.generateKeyPair();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(this == EC_P384 ? "secp384r1" : "secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + this + " key", e);
    }
  }

  /** The type of an existing key; EC keys other than P-384 count as P-256, as upstream. */
  public static KeyType of(PrivateKey key) {
    return ofAlgorithm(key.getAlgorithm(), key instanceof ECKey ec ? ec.getParams().getCurve().getField().getFieldSize() : 0);
  }

  public static KeyType of(PublicKey key) {
    return ofAlgorithm(key.getAlgorithm(), key instanceof ECKey ec ? ec.getParams().getCurve().getField().getFieldSize() : 0);
  }

  private static KeyType ofAlgorithm(String algorithm, int ecFieldBits) {
    return switch (algorithm) {
      case "RSA" -> RSA;
      case "EC", "ECDSA" -> ecFieldBits == 384 ? EC_P384 : EC_P256;
      default -> throw new IllegalArgumentException("unsupported key algorithm " + algorithm);
    };
  }

  /** The signature algorithm this CA key signs with (SHA-256 for RSA and P-256, SHA-384 for P-384). */
  public String signatureAlgorithm() {
    return switch (this) {
      case RSA -> "SHA256withRSA";
      case EC_P256 -> "SHA256withECDSA";
      case EC_P384 -> "SHA384withECDSA";
    };
  }
}
