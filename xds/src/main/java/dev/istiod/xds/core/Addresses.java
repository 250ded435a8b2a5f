package dev.istiod.xds.core;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;

/** Envoy address messages from Istio's address strings. */
public final class Addresses {
  private Addresses() {}

  public static Address socket(String address, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
        .setAddress(address).setPortValue(port)).build();
  }

  /** A CIDR range from {@code 10.0.0.0/8} or a bare IP (a /32 or /128). */
  public static CidrRange cidr(String s) {
    int slash = s.indexOf('/');
    String ip = slash < 0 ? s : s.substring(0, slash);
    int full = ip.contains(":") ? 128 : 32;
    int len = full;
    if (slash >= 0) {
      try {
        len = Math.max(0, Math.min(full, Integer.parseInt(s.substring(slash + 1))));
      } catch (NumberFormatException e) {
        len = full; // validation rejects malformed CIDRs; treat as a single address
      }
    }
    return CidrRange.newBuilder().setAddressPrefix(ip).setPrefixLen(UInt32Value.of(len)).build();
  }
}
