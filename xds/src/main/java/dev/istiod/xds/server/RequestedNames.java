package dev.istiod.xds.server;

import com.google.common.hash.HashCode;
import com.google.common.hash.Hashing;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.List;

/**
 * The resource names of one state-of-the-world request, in their order, kept as their count and a 128-bit hash of
 * their wire encoding (each name's tag, length and bytes, as a request carries them): enough to tell that the next
 * request repeats them (a plain ACK; a sidecar's EDS ACK lists a thousand names) without decoding them into
 * strings or keeping them per connection. {@link DiscoveryRequestMarshaller} takes it from the received bytes.
 */
record RequestedNames(int count, HashCode hash) {
  /** Before any request: equal to no request's names. */
  static final RequestedNames NONE = new RequestedNames(-1, HashCode.fromLong(0));

  /** From decoded names (a request that did not come through the marshaller): the same value it would take. */
  static RequestedNames of(List<String> names) {
    byte[] wire = DiscoveryRequest.newBuilder().addAllResourceNames(names).build().toByteArray();
    return new RequestedNames(names.size(), Hashing.murmur3_128().hashBytes(wire));
  }
}
