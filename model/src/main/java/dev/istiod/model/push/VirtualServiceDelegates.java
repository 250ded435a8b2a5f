package dev.istiod.model.push;

import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.StringMatch;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delegate VirtualServices, as upstream's {@code mergeVirtualServices}: a VirtualService without
 * hosts is a delegate and is never used on its own; an HTTP route of a root VirtualService that
 * names one ({@code delegate: {name, namespace}}) is replaced by the delegate's routes, each
 * narrowed to the root route's match conditions and inheriting what it leaves unset (timeout,
 * retries, rewrite, headers...). A delegate route whose matches conflict with the root's (not a
 * subset of any of them) is dropped; so is a delegation to a delegate that is missing or not
 * exported to the root's namespace.
 */
final class VirtualServiceDelegates {
  private static final Logger log = LoggerFactory.getLogger(VirtualServiceDelegates.class);

  private VirtualServiceDelegates() {}

  /**
   * The VirtualServices to index: delegates removed, roots with their delegates merged in. Order
   * is kept.
   *
   * @param resolved every VirtualService, short names already resolved in its own namespace
   * @param defaultExportTo the mesh's {@code defaultVirtualServiceExportTo}
   */
  static List<Config> merge(List<Config> resolved, List<String> defaultExportTo) {
    Map<String, Config> delegates = new HashMap<>();
    for (Config c : resolved) {
      if (c.spec(VirtualService.class).getHostsCount() == 0) {
        delegates.put(key(c.namespace(), c.name()), c);
      }
    }
    List<Config> out = new ArrayList<>();
    for (Config c : resolved) {
      VirtualService vs = c.spec(VirtualService.class);
      if (vs.getHostsCount() == 0) {
        continue;
      }
      out.add(vs.getHttpList().stream().anyMatch(HTTPRoute::hasDelegate) ? mergeRoot(c, delegates, defaultExportTo) : c);
    }
    return out;
  }

  private static Config mergeRoot(Config root, Map<String, Config> delegates, List<String> defaultExportTo) {
    VirtualService vs = root.spec(VirtualService.class);
    List<HTTPRoute> merged = new ArrayList<>();
    for (HTTPRoute http : vs.getHttpList()) {
      if (!http.hasDelegate()) {
        merged.add(http);
        continue;
      }
      String ns = http.getDelegate().getNamespace().isEmpty() ? root.namespace() : http.getDelegate().getNamespace();
      Config delegate = delegates.get(key(ns, http.getDelegate().getName()));
      if (delegate == null) {
        log.warn("delegate VirtualService {}/{} of {}/{} not found", ns, http.getDelegate().getName(),
            root.namespace(), root.name());
        continue;
      }
      if (!exportedTo(delegate, root.namespace(), defaultExportTo)) {
        log.warn("delegate VirtualService {}/{} of {}/{} is not exported to {}", ns, delegate.name(),
            root.namespace(), root.name(), root.namespace());
        continue;
      }
      HTTPRoute rootRoute = http.toBuilder().clearDelegate().build();
      for (HTTPRoute sub : delegate.spec(VirtualService.class).getHttpList()) {
        HTTPRoute m = mergeRoute(rootRoute, sub);
        if (m == null) {
          log.warn("HTTP route {} of delegate {}/{} conflicts with the matches of root {}/{} route {}; dropped",
              sub.getName(), ns, delegate.name(), root.namespace(), root.name(), rootRoute.getName());
        } else {
          merged.add(m);
        }
      }
    }
    return new Config(root.kind(), root.meta(), vs.toBuilder().clearHttp().addAllHttp(merged).build());
  }

  private static boolean exportedTo(Config delegate, String namespace, List<String> defaultExportTo) {
    List<String> exportTo = delegate.spec(VirtualService.class).getExportToCount() > 0
        ? delegate.spec(VirtualService.class).getExportToList() : defaultExportTo;
    if (exportTo.isEmpty()) {
      return true; // no mesh default: public
    }
    for (String e : exportTo) {
      String ns = e.equals(".") ? delegate.namespace() : e;
      if (ns.equals("*") || ns.equals(namespace)) {
        return true;
      }
    }
    return false;
  }

  /** The delegate route narrowed to the root's matches; null when they conflict. */
  static HTTPRoute mergeRoute(HTTPRoute root, HTTPRoute delegate) {
    List<HTTPMatchRequest> matches = mergeMatches(root.getMatchList(), delegate.getMatchList());
    if (matches == null) {
      return null;
    }
    HTTPRoute.Builder out = delegate.toBuilder().clearMatch().addAllMatch(matches);
    if (delegate.getName().isEmpty()) {
      out.setName(root.getName());
    } else if (!root.getName().isEmpty()) {
      out.setName(root.getName() + "-" + delegate.getName());
    }
    if (!delegate.hasRewrite() && root.hasRewrite()) {
      out.setRewrite(root.getRewrite());
    }
    if (!delegate.hasDirectResponse() && root.hasDirectResponse()) {
      out.setDirectResponse(root.getDirectResponse());
    }
    if (!delegate.hasTimeout() && root.hasTimeout()) {
      out.setTimeout(root.getTimeout());
    }
    if (!delegate.hasRetries() && root.hasRetries()) {
      out.setRetries(root.getRetries());
    }
    if (!delegate.hasFault() && root.hasFault()) {
      out.setFault(root.getFault());
    }
    if (!delegate.hasMirror() && root.hasMirror()) {
      out.setMirror(root.getMirror());
    }
    if (!delegate.hasMirrorPercent() && root.hasMirrorPercent()) {
      out.setMirrorPercent(root.getMirrorPercent());
    }
    if (!delegate.hasMirrorPercentage() && root.hasMirrorPercentage()) {
      out.setMirrorPercentage(root.getMirrorPercentage());
    }
    if (!delegate.hasCorsPolicy() && root.hasCorsPolicy()) {
      out.setCorsPolicy(root.getCorsPolicy());
    }
    if (delegate.getMirrorsCount() == 0) {
      out.addAllMirrors(root.getMirrorsList());
    }
    if (!delegate.hasHeaders() && root.hasHeaders()) {
      out.setHeaders(root.getHeaders());
    }
    return out.build();
  }

  /**
   * Each delegate match combined with every root match it does not conflict with; null (a
   * conflict) when some delegate match fits no root match.
   */
  static List<HTTPMatchRequest> mergeMatches(List<HTTPMatchRequest> root, List<HTTPMatchRequest> delegate) {
    if (root.isEmpty()) {
      return delegate;
    }
    if (delegate.isEmpty()) {
      return root;
    }
    List<HTTPMatchRequest> out = new ArrayList<>();
    for (HTTPMatchRequest sub : delegate) {
      boolean found = false;
      for (HTTPMatchRequest r : root) {
        if (!conflicts(r, sub)) {
          out.add(mergeMatch(r, sub));
          found = true;
        }
      }
      if (!found) {
        return null;
      }
    }
    return out.isEmpty() ? null : out;
  }

  static HTTPMatchRequest mergeMatch(HTTPMatchRequest root, HTTPMatchRequest delegate) {
    HTTPMatchRequest.Builder out = delegate.toBuilder();
    if (delegate.getName().isEmpty()) {
      out.setName(root.getName());
    } else if (!root.getName().isEmpty()) {
      out.setName(root.getName() + "-" + delegate.getName());
    }
    if (!delegate.hasUri() && root.hasUri()) {
      out.setUri(root.getUri());
    }
    if (!delegate.hasScheme() && root.hasScheme()) {
      out.setScheme(root.getScheme());
    }
    if (!delegate.hasMethod() && root.hasMethod()) {
      out.setMethod(root.getMethod());
    }
    if (!delegate.hasAuthority() && root.hasAuthority()) {
      out.setAuthority(root.getAuthority());
    }
    out.clearHeaders().putAllHeaders(root.getHeadersMap()).putAllHeaders(delegate.getHeadersMap());
    out.clearWithoutHeaders().putAllWithoutHeaders(root.getWithoutHeadersMap())
        .putAllWithoutHeaders(delegate.getWithoutHeadersMap());
    out.clearQueryParams().putAllQueryParams(root.getQueryParamsMap()).putAllQueryParams(delegate.getQueryParamsMap());
    out.clearSourceLabels().putAllSourceLabels(root.getSourceLabelsMap()).putAllSourceLabels(delegate.getSourceLabelsMap());
    if (delegate.getPort() == 0) {
      out.setPort(root.getPort());
    }
    if (delegate.getSourceNamespace().isEmpty()) {
      out.setSourceNamespace(root.getSourceNamespace());
    }
    if (delegate.getGatewaysCount() == 0) {
      out.addAllGateways(root.getGatewaysList());
    }
    if (delegate.getStatPrefix().isEmpty()) {
      out.setStatPrefix(root.getStatPrefix());
    }
    return out.build();
  }

  /** Upstream's {@code hasConflict}: the delegate match must narrow the root match, never contradict it. */
  static boolean conflicts(HTTPMatchRequest root, HTTPMatchRequest leaf) {
    if (conflicts(root.hasUri() ? root.getUri() : null, leaf.hasUri() ? leaf.getUri() : null)
        || conflicts(root.hasScheme() ? root.getScheme() : null, leaf.hasScheme() ? leaf.getScheme() : null)
        || conflicts(root.hasMethod() ? root.getMethod() : null, leaf.hasMethod() ? leaf.getMethod() : null)
        || conflicts(root.hasAuthority() ? root.getAuthority() : null, leaf.hasAuthority() ? leaf.getAuthority() : null)) {
      return true;
    }
    if (mapConflicts(root.getHeadersMap(), leaf.getHeadersMap())
        || mapConflicts(root.getWithoutHeadersMap(), leaf.getWithoutHeadersMap())
        || mapConflicts(root.getQueryParamsMap(), leaf.getQueryParamsMap())) {
      return true;
    }
    if (root.getIgnoreUriCase() != leaf.getIgnoreUriCase()) {
      return true;
    }
    if (root.getPort() > 0 && leaf.getPort() > 0 && root.getPort() != leaf.getPort()) {
      return true;
    }
    if (!root.getSourceNamespace().isEmpty() && !leaf.getSourceNamespace().equals(root.getSourceNamespace())) {
      return true;
    }
    for (Map.Entry<String, String> e : leaf.getSourceLabelsMap().entrySet()) {
      String v = root.getSourceLabelsMap().get(e.getKey());
      if (v != null && !v.equals(e.getValue())) {
        return true;
      }
    }
    if (root.getGatewaysCount() > 0 && leaf.getGatewaysCount() > 0) {
      Set<String> rootGateways = new HashSet<>(root.getGatewaysList());
      return root.getGatewaysCount() < leaf.getGatewaysCount() || !rootGateways.containsAll(leaf.getGatewaysList());
    }
    return false;
  }

  private static boolean mapConflicts(Map<String, StringMatch> root, Map<String, StringMatch> leaf) {
    for (Map.Entry<String, StringMatch> e : leaf.entrySet()) {
      if (conflicts(root.get(e.getKey()), e.getValue())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Upstream's {@code stringMatchConflict}: none when either side is unset; a regex on either side
   * conflicts with anything but no match; an exact root needs the same exact leaf; a prefix root
   * needs a leaf prefix or exact value under it; any other root conflicts.
   */
  static boolean conflicts(StringMatch root, StringMatch leaf) {
    if (root == null || leaf == null) {
      return false;
    }
    if (!regex(root).isEmpty() && (!regex(leaf).isEmpty() || !prefix(leaf).isEmpty() || !exact(leaf).isEmpty())) {
      return true;
    }
    if (!regex(leaf).isEmpty() && (!regex(root).isEmpty() || !prefix(root).isEmpty() || !exact(root).isEmpty())) {
      return true;
    }
    if (!exact(root).isEmpty()) {
      return !prefix(leaf).isEmpty() || !exact(leaf).equals(exact(root));
    }
    if (!prefix(root).isEmpty()) {
      if (!prefix(leaf).isEmpty()) {
        return !prefix(leaf).startsWith(prefix(root));
      }
      if (!exact(leaf).isEmpty()) {
        return !exact(leaf).startsWith(prefix(root));
      }
    }
    return true;
  }

  private static String exact(StringMatch m) {
    return m.getMatchTypeCase() == StringMatch.MatchTypeCase.EXACT ? m.getExact() : "";
  }

  private static String prefix(StringMatch m) {
    return m.getMatchTypeCase() == StringMatch.MatchTypeCase.PREFIX ? m.getPrefix() : "";
  }

  private static String regex(StringMatch m) {
    return m.getMatchTypeCase() == StringMatch.MatchTypeCase.REGEX ? m.getRegex() : "";
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
