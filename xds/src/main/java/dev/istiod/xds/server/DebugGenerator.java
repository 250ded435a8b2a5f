package dev.istiod.xds.server;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.io/debug}: the single resource name is a debug page with its query ({@code syncz},
 * {@code config_dump?proxyID=...}), the answer that page's body as one resource of type {@code istio.io/debug}
 * (raw bytes, not a protobuf), prefixed with {@code {"statusCode":"<code>"}} when the page did not answer 200, as
 * upstream's DebugGen. Unlike the status types this one always needs a proven identity (upstream checks it
 * regardless of ENABLE_DEBUG_ENDPOINT_AUTH): the system namespace may read every page, any other namespace only
 * {@code config_dump} of its own proxies.
 */
final class DebugGenerator implements XdsGenerator {
  private static final Logger log = LoggerFactory.getLogger(DebugGenerator.class);
  /** What upstream lets a caller outside the system namespace read (only config_dump exists here). */
  private static final Set<String> NAMESPACED_PAGES = Set.of("config_dump", "ndsz", "edsz");
  private static final String PROXY_ID = "proxyID";

  private final DiscoveryServer server;

  DebugGenerator(DiscoveryServer server) {
    this.server = server;
  }

  @Override
  public String typeUrl() {
    return TypeUrls.DEBUG;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return false;
  }

  @Override
  public GenerationResult generate(Proxy caller, PushContext push, WatchedResource watched, PushRequest request) {
    if (caller.verifiedIdentity() == null) {
      log.warn("proxy {} is not authorized to receive debug. Ensure you are connecting over TLS port and are "
          + "authenticated.", caller.id());
      throw Status.UNAUTHENTICATED.withDescription("authentication required").asRuntimeException();
    }
    if (watched.resourceNames().size() != 1) {
      throw Status.INVALID_ARGUMENT.withDescription("exactly one debug request is required").asRuntimeException();
    }
    String resourceName = watched.resourceNames().iterator().next();
    int q = resourceName.indexOf('?');
    String page = q < 0 ? resourceName : resourceName.substring(0, q);
    String callerNamespace = caller.verifiedIdentity().namespace();
    boolean system = callerNamespace.equals(server.systemNamespace());
    if (!system && !NAMESPACED_PAGES.contains(page)) {
      throw Status.PERMISSION_DENIED.withDescription("the debug info is not available for current identity: \""
          + caller.verifiedIdentity() + "\"").asRuntimeException();
    }
    Optional<DebugPages.Page> rendered;
    if (!system && !ownProxy(resourceName, callerNamespace)) {
      // The pages do not know who asks; a proxy of another namespace is answered as one that is not here.
      rendered = Optional.of(new DebugPages.Page(404,
          "Proxy not connected to this Pilot instance\n".getBytes(StandardCharsets.UTF_8)));
    } else {
      rendered = server.debugPages().render(resourceName);
    }
    DebugPages.Page p = rendered.orElseGet(
        () -> new DebugPages.Page(404, "404 page not found\n".getBytes(StandardCharsets.UTF_8)));
    return GenerationResult.full(List.of(new XdsResource(resourceName,
        Any.newBuilder().setTypeUrl(TypeUrls.DEBUG).setValue(ByteString.copyFrom(body(p))).build())));
  }

  /** Whether the page's {@code proxyID} names a proxy connected here whose config namespace is the caller's. */
  private boolean ownProxy(String resourceName, String namespace) {
    String proxyId = "";
    int q = resourceName.indexOf('?');
    if (q >= 0) {
      for (String pair : resourceName.substring(q + 1).split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals(PROXY_ID)) {
          proxyId = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
    }
    String id = proxyId;
    return !id.isEmpty() && server.connections().stream()
        .anyMatch(c -> c.proxy().configNamespace().equals(namespace)
            && (c.proxy().id().equals(id) || c.connectionId().equals(id)));
  }

  private static byte[] body(DebugPages.Page p) {
    if (p.status() == 200) {
      return p.body();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("{\"statusCode\":\"" + p.status() + "\"}").getBytes(StandardCharsets.UTF_8));
    out.writeBytes(p.body());
    return out.toByteArray();
  }
}
