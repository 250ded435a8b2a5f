package dev.istiod.xds.server;

import dev.istiod.model.Proxy;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An immutable view of one connected proxy's stream, for istiod's {@code /debug/adsz} and
 * {@code /debug/syncz}: who is connected, what it watches, and where each type stands in the
 * nonce/ACK exchange.
 *
 * @param connectionId {@code <proxy id>-<counter>}, unique per stream
 * @param proxy the proxy parsed from the stream's first request
 * @param peerAddress the client's address as {@code host:port}
 * @param delta true for a DeltaAggregatedResources stream, false for StreamAggregatedResources
 * @param watched the subscribed types, in push order
 */
public record XdsConnectionSnapshot(
    String connectionId,
    Proxy proxy,
    String peerAddress,
    Instant connectedAt,
    boolean delta,
    List<Watch> watched) {

  public XdsConnectionSnapshot {
    Objects.requireNonNull(connectionId, "connectionId");
    Objects.requireNonNull(proxy, "proxy");
    watched = List.copyOf(watched);
  }

  /** The Envoy node id, as {@code /debug/adsz} and {@code /debug/syncz} print it. */
  public String nodeId() {
    return proxy.nodeId();
  }

  /**
   * One subscribed type.
   *
   * @param resourceNames the explicitly subscribed names, sorted (empty for a plain wildcard)
   * @param nonceSent the nonce of the last response sent, empty if none
   * @param versionSent the version of the last response sent
   * @param nonceAcked the last nonce the proxy ACKed
   * @param versionAcked the version the proxy ACKed with it
   * @param lastError the proxy's message from its last NACK, empty once it ACKs again
   * @param lastSent when the last response was sent, null if never
   */
  public record Watch(
      String typeUrl,
      boolean wildcard,
      List<String> resourceNames,
      String nonceSent,
      String versionSent,
      String nonceAcked,
      String versionAcked,
      String lastError,
      Instant lastSent) {

    public Watch {
      resourceNames = List.copyOf(resourceNames);
    }
  }
}
