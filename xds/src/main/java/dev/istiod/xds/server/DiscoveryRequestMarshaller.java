package dev.istiod.xds.server;

import com.google.common.collect.MapMaker;
import com.google.common.hash.Hashing;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.ConcurrentMap;

/**
 * Reads a state-of-the-world request with its resource names left as bytes: slices of the received message, not
 * strings. A SotW ACK repeats every name the proxy subscribes to (a sidecar's EDS ACK lists a thousand), and istiod
 * decodes them only when they differ from the last request's; decoding each ACK's names into strings was most of
 * what istiod allocated while it pushed an endpoint change. While it reads them it also takes their
 * {@link RequestedNames} from the message's bytes in one pass ({@link #requestedNames}). The names are still
 * checked to be UTF-8, as a generated parser checks them; every other field is parsed by the generated parser.
 */
final class DiscoveryRequestMarshaller implements MethodDescriptor.Marshaller<DiscoveryRequest> {
  static final DiscoveryRequestMarshaller INSTANCE = new DiscoveryRequestMarshaller();

  /** Field number 3, length-delimited: the wire tag of one resource name. */
  private static final int RESOURCE_NAME_TAG =
      DiscoveryRequest.RESOURCE_NAMES_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  /** The names of requests parsed here, by request (identity, weakly: an entry goes with its request). */
  private static final ConcurrentMap<DiscoveryRequest, RequestedNames> NAMES = new MapMaker().weakKeys().makeMap();

  private final MethodDescriptor.Marshaller<DiscoveryRequest> generated =
      ProtoUtils.marshaller(DiscoveryRequest.getDefaultInstance());

  private DiscoveryRequestMarshaller() {}

  /** The names of {@code request} as taken while parsing it here, else from its names. */
  static RequestedNames requestedNames(DiscoveryRequest request) {
    RequestedNames known = NAMES.get(request);
    return known != null ? known : RequestedNames.of(request.getResourceNamesList());
  }

  @Override
  public InputStream stream(DiscoveryRequest value) {
    return generated.stream(value);
  }

  @Override
  public DiscoveryRequest parse(InputStream stream) {
    try {
      return parse(readAll(stream));
    } catch (IOException | IllegalArgumentException e) {
      throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
    }
  }

  static DiscoveryRequest parse(byte[] message) throws IOException {
    // Reading from an immutable ByteString lets the names' ByteStrings share the array instead of copying it.
    CodedInputStream in = UnsafeByteOperations.unsafeWrap(message).newCodedInput();
    in.enableAliasing(true);
    DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder();
    int names = 0;
    int namesStart = -1;
    int namesEnd = -1;
    boolean contiguous = true;
    for (int at = in.getTotalBytesRead(), tag = in.readTag(); tag != 0; at = in.getTotalBytesRead(), tag = in.readTag()) {
      if (tag == RESOURCE_NAME_TAG) {
        request.addResourceNamesBytes(in.readBytes()); // throws IllegalArgumentException unless UTF-8
        contiguous &= namesEnd == -1 || namesEnd == at;
        namesStart = namesStart == -1 ? at : namesStart;
        namesEnd = in.getTotalBytesRead();
        names++;
      } else {
        if (!in.skipField(tag)) {
          throw new IOException("unexpected end-group tag " + tag);
        }
        request.mergeFrom(message, at, in.getTotalBytesRead() - at); // this one field, as the generated parser
      }
    }
    DiscoveryRequest parsed = request.build();
    if (contiguous) {
      // The names' wire encoding (tags, lengths, bytes) determines them and their order exactly.
      NAMES.put(parsed, names == 0 ? RequestedNames.of(List.of())
          : new RequestedNames(names, Hashing.murmur3_128().hashBytes(message, namesStart, namesEnd - namesStart)));
    }
    return parsed;
  }

  private static byte[] readAll(InputStream stream) throws IOException {
    if (stream instanceof KnownLength) {
      int size = stream.available();
      byte[] bytes = new byte[size];
      int read = stream.readNBytes(bytes, 0, size);
      if (read == size && stream.read() == -1) {
        return bytes;
      }
      throw new IOException("message of " + read + " bytes and more, not its known length " + size);
    }
    return stream.readAllBytes();
  }
}
