package dev.istiod.xds.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.common.hash.HashCode;
import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import com.google.protobuf.ByteString;
import com.google.protobuf.ProtocolStringList;
import java.util.List;

/**
 * The resource names of one state-of-the-world request, in their order, kept as their count and a 128-bit hash of
 * their bytes: enough to tell that the next request repeats them (a plain ACK; a sidecar's EDS ACK lists a
 * thousand names) without decoding them into strings or keeping them per connection. Names parsed by
 * {@link DiscoveryRequestMarshaller} are still bytes, and are hashed in place.
 */
record RequestedNames(int count, HashCode hash) {
  /** Before any request: equal to no request's names. */
  static final RequestedNames NONE = new RequestedNames(-1, HashCode.fromLong(0));

  static RequestedNames of(List<String> names) {
    Hasher h = Hashing.murmur3_128().newHasher();
    if (names instanceof ProtocolStringList undecoded) {
      for (ByteString name : undecoded.asByteStringList()) {
        h.putInt(name.size());
        h.putBytes(name.asReadOnlyByteBuffer());
      }
    } else {
      for (String name : names) {
        byte[] utf8 = name.getBytes(UTF_8);
        h.putInt(utf8.length);
        h.putBytes(utf8);
      }
    }
    return new RequestedNames(names.size(), h.hash());
  }
}
