package dev.istiod.xds.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a state-of-the-world request with its resource names left as bytes: slices of the received message, not
 * strings. A SotW ACK repeats every name the proxy subscribes to (a sidecar's EDS ACK lists a thousand), and istiod
 * decodes them only when they differ from the last request's ({@link RequestedNames}); decoding each ACK's names
 * into strings was most of what istiod allocated while it pushed an endpoint change. The names are still checked
 * to be UTF-8, as a generated parser checks them; every other field is parsed by the generated parser.
 */
final class DiscoveryRequestMarshaller implements MethodDescriptor.Marshaller<DiscoveryRequest> {
  static final DiscoveryRequestMarshaller INSTANCE = new DiscoveryRequestMarshaller();

  /** Field number 3, length-delimited: the wire tag of one resource name. */
  private static final int RESOURCE_NAME_TAG =
      DiscoveryRequest.RESOURCE_NAMES_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private final MethodDescriptor.Marshaller<DiscoveryRequest> generated =
      ProtoUtils.marshaller(DiscoveryRequest.getDefaultInstance());

  private DiscoveryRequestMarshaller() {}

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
    CodedInputStream in = CodedInputStream.newInstance(message);
    in.enableAliasing(true); // the names' ByteStrings share the array: one copy of the message, no more
    DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder();
    ByteString.Output others = ByteString.newOutput();
    CodedOutputStream othersOut = CodedOutputStream.newInstance(others);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == RESOURCE_NAME_TAG) {
        request.addResourceNamesBytes(in.readBytes()); // throws IllegalArgumentException unless UTF-8
      } else if (!in.skipField(tag, othersOut)) {
        throw new IOException("unexpected end-group tag " + tag);
      }
    }
    othersOut.flush();
    return request.mergeFrom(others.toByteString()).build();
  }

  private static byte[] readAll(InputStream stream) throws IOException {
    if (stream instanceof KnownLength) {
      int size = stream.available();
      byte[] bytes = stream.readNBytes(size);
      if (stream.read() == -1) {
        return bytes;
      }
      throw new IOException("message longer than its known length " + size);
    }
    return stream.readAllBytes();
  }
}
