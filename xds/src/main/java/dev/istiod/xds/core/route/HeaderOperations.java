package dev.istiod.xds.core.route;

import dev.istiod.api.networking.v1alpha3.Headers;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A VirtualService {@code headers} block as Envoy header operations, as upstream's
 * {@code TranslateHeadersOperations}: {@code set} overwrites (or adds), {@code add} appends, each
 * sorted by name, set before add. Pseudo-headers and {@code host} cannot be modified or removed
 * in Envoy (it rejects the whole route configuration), so they are left out; a {@code set} or
 * {@code add} of {@code :authority}/{@code host} becomes the route's host rewrite instead
 * ({@code set} wins over {@code add}).
 *
 * @param authority the host to rewrite to, or "" for none
 */
record HeaderOperations(List<HeaderValueOption> requestToAdd, List<String> requestToRemove,
    List<HeaderValueOption> responseToAdd, List<String> responseToRemove, String authority) {

  /** The route-level {@code headers} of an HTTP route; applies to redirects and direct responses too. */
  static final RouteContributor ROUTE_LEVEL = (ctx, route) -> {
    if (ctx.http().hasHeaders()) {
      of(ctx.http().getHeaders()).appendTo(route);
    }
  };

  HeaderOperations {
    requestToAdd = List.copyOf(requestToAdd);
    requestToRemove = List.copyOf(requestToRemove);
    responseToAdd = List.copyOf(responseToAdd);
    responseToRemove = List.copyOf(responseToRemove);
  }

  static HeaderOperations of(Headers headers) {
    Headers.HeaderOperations req = headers.getRequest();
    Headers.HeaderOperations resp = headers.getResponse();
    List<HeaderValueOption> reqAdd = new ArrayList<>(options(req.getSetMap(), HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    reqAdd.addAll(options(req.getAddMap(), HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
    List<HeaderValueOption> respAdd = new ArrayList<>(options(resp.getSetMap(), HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    respAdd.addAll(options(resp.getAddMap(), HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
    String authority = authority(req.getSetMap());
    if (authority.isEmpty()) {
      authority = authority(req.getAddMap());
    }
    return new HeaderOperations(reqAdd, modifiable(req.getRemoveList()), respAdd, modifiable(resp.getRemoveList()),
        authority);
  }

  /** Appends these operations to a route's own (after any already there). */
  void appendTo(Route.Builder route) {
    route.addAllRequestHeadersToAdd(requestToAdd).addAllRequestHeadersToRemove(requestToRemove)
        .addAllResponseHeadersToAdd(responseToAdd).addAllResponseHeadersToRemove(responseToRemove);
  }

  /** Sets these operations on one entry of a weighted split, including its host rewrite. */
  void applyTo(WeightedCluster.ClusterWeight.Builder cluster) {
    cluster.addAllRequestHeadersToAdd(requestToAdd).addAllRequestHeadersToRemove(requestToRemove)
        .addAllResponseHeadersToAdd(responseToAdd).addAllResponseHeadersToRemove(responseToRemove);
    if (!authority.isEmpty()) {
      cluster.setHostRewriteLiteral(authority);
    }
  }

  static boolean isAuthority(String name) {
    return name.equalsIgnoreCase(":authority") || name.equalsIgnoreCase("host");
  }

  /** Pseudo-headers and {@code host}: Envoy refuses to modify or remove them. */
  static boolean isInternal(String name) {
    return name.startsWith(":") || name.equalsIgnoreCase("host");
  }

  private static List<HeaderValueOption> options(Map<String, String> headers, HeaderAppendAction action) {
    List<HeaderValueOption> out = new ArrayList<>();
    for (Map.Entry<String, String> e : new TreeMap<>(headers).entrySet()) {
      if (isInternal(e.getKey())) {
        continue;
      }
      out.add(HeaderValueOption.newBuilder()
          .setHeader(HeaderValue.newBuilder().setKey(e.getKey()).setValue(e.getValue()))
          .setAppendAction(action)
          .build());
    }
    return out;
  }

  /** The authority-like key's value (validation allows at most one; with several, the last by name). */
  private static String authority(Map<String, String> headers) {
    String out = "";
    for (Map.Entry<String, String> e : new TreeMap<>(headers).entrySet()) {
      if (isAuthority(e.getKey())) {
        out = e.getValue();
      }
    }
    return out;
  }

  private static List<String> modifiable(List<String> names) {
    return names.stream().filter(n -> !isInternal(n)).toList();
  }
}
