package dev.istiod.bench.load;

import java.util.List;
import java.util.Objects;

/**
 * What a simulated proxy keeps of one received resource: its name, its serialized size and the names it makes the
 * proxy subscribe to (a cluster's EDS service name, a listener's RDS route names). Never the resource itself.
 *
 * <p>Instances are shared by every proxy that received the same bytes ({@link ResourceParser} memoizes them).
 *
 * @param references EDS service names (clusters) or RDS route names (listeners); empty for the other types
 * @param contentHash equal for equal content: for route configurations the parsed message's hash (protobuf hashes
 *     map fields independently of their order, so a control plane that serializes maps in a different order each
 *     time does not look like a change); for the other types the hash of the bytes
 */
record ParsedResource(XdsType type, String name, int bytes, List<String> references, int contentHash) {
  ParsedResource {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(name, "name");
    references = List.copyOf(references);
  }

  /** Whether this resource's content differs from {@code before} (a resource of the same name, or null). */
  boolean differsFrom(ParsedResource before) {
    if (before == null || before.contentHash != contentHash) {
      return true;
    }
    // Equal route content may come in bytes of another length (maps in another order); bytes of another length
    // are another content for the other types, whose hash is the bytes' hash.
    return type != XdsType.ROUTE && before.bytes != bytes;
  }
}
