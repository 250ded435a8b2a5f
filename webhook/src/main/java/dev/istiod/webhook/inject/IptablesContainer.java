package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The init container that sets up traffic redirection: {@code istio-init} running
 * {@code istio-iptables} as root with NET_ADMIN and NET_RAW, or, when the CNI plugin does the
 * redirection, {@code istio-validation} checking the plugin's rules as the proxy user.
 */
final class IptablesContainer {
  static final String INIT = "istio-init";
  static final String VALIDATION = "istio-validation";
  private static final String ANNOTATIONS = "traffic.sidecar.istio.io/";

  private IptablesContainer() {}

  static ObjectNode render(TemplateInput in) {
    ObjectNode c = Json.object();
    boolean cni = in.cni();
    c.put("name", cni ? VALIDATION : INIT);
    String custom = in.annotationOrValue("sidecar.istio.io/proxyImage", "global.proxy_init.image");
    c.put("image", custom.contains("/") ? custom : in.proxyImage());
    c.set("args", args(in));
    SidecarTemplate.putIfNotEmpty(c, "imagePullPolicy", in.values().str("global.imagePullPolicy"));
    if (in.proxyConfig().getProxyMetadataCount() > 0) {
      ArrayNode env = c.putArray("env");
      for (Map.Entry<String, String> e : new TreeMap<>(in.proxyConfig().getProxyMetadataMap()).entrySet()) {
        env.addObject().put("name", e.getKey()).put("value", e.getValue());
      }
    }
    ProxyResources.render(in).ifPresent(r -> c.set("resources", r));
    c.set("securityContext", securityContext(in, cni));
    return c;
  }

  private static ArrayNode args(TemplateInput in) {
    ArrayNode a = Json.array();
    a.add("istio-iptables");
    a.add("-p").add(portOr(in.mesh().getProxyListenPort(), "15001"));
    a.add("-z").add(portOr(in.mesh().getProxyInboundListenPort(), "15006"));
    a.add("-u").add(in.tproxy() ? "1337" : Long.toString(in.proxyUid()));
    a.add("-m").add(in.interceptionMode());
    a.add("-i").add(in.annotationOrValue(ANNOTATIONS + "includeOutboundIPRanges", "global.proxy.includeIPRanges"));
    a.add("-x").add(in.annotationOrValue(ANNOTATIONS + "excludeOutboundIPRanges", "global.proxy.excludeIPRanges"));
    a.add("-b").add(in.annotationOrValue(ANNOTATIONS + "includeInboundPorts", "global.proxy.includeInboundPorts"));
    String excluded = SidecarTemplate.excludedInboundPorts(in);
    a.add("-d").add(excluded.isEmpty() ? "15090,15021" : "15090,15021," + excluded);
    optionalPorts(in, a, "-q", "includeOutboundPorts");
    optionalPorts(in, a, "-o", "excludeOutboundPorts");
    if (in.hasAnnotation("istio.io/reroute-virtual-interfaces")) {
      a.add("-k").add(in.annotationOrEmpty("istio.io/reroute-virtual-interfaces"));
    } else if (in.hasAnnotation(ANNOTATIONS + "kubevirtInterfaces")) {
      a.add("-k").add(in.annotationOrEmpty(ANNOTATIONS + "kubevirtInterfaces"));
    }
    if (in.hasAnnotation(ANNOTATIONS + "excludeInterfaces")) {
      a.add("-c").add(in.annotationOrEmpty(ANNOTATIONS + "excludeInterfaces"));
    }
    a.add("--log_output_level=" + in.annotationOrValue("sidecar.istio.io/agentLogLevel", "global.logging.level"));
    if (in.values().truthy("global.logAsJson")) {
      a.add("--log_as_json");
    }
    if (in.cni()) {
      a.add("--run-validation").add("--skip-rule-apply");
    } else if (in.values().truthy("global.proxy_init.forceApplyIptables")) {
      a.add("--force-apply");
    }
    if (in.values().truthy("global.nativeNftables")) {
      a.add("--native-nftables");
    }
    return a;
  }

  private static void optionalPorts(TemplateInput in, ArrayNode a, String flag, String name) {
    if (in.hasAnnotation(ANNOTATIONS + name) || !in.values().str("global.proxy." + name).isEmpty()) {
      a.add(flag).add(in.annotationOrValue(ANNOTATIONS + name, "global.proxy." + name));
    }
  }

  private static String portOr(int port, String fallback) {
    return port == 0 ? fallback : Integer.toString(port);
  }

  private static ObjectNode securityContext(TemplateInput in, boolean cni) {
    ObjectNode sc = Json.object();
    boolean privileged = in.values().truthy("global.proxy.privileged");
    sc.put("allowPrivilegeEscalation", privileged);
    sc.put("privileged", privileged);
    ObjectNode caps = sc.putObject("capabilities");
    if (!cni) {
      caps.putArray("add").add("NET_ADMIN").add("NET_RAW");
    }
    caps.putArray("drop").add("ALL");
    if (!cni) {
      sc.put("readOnlyRootFilesystem", false);
      sc.put("runAsGroup", 0);
      sc.put("runAsNonRoot", false);
      sc.put("runAsUser", 0);
    } else {
      sc.put("readOnlyRootFilesystem", true);
      sc.put("runAsGroup", in.tproxy() ? 1337 : in.proxyGid());
      sc.put("runAsUser", in.tproxy() ? 1337 : in.proxyUid());
      sc.put("runAsNonRoot", true);
    }
    ProxyResources.seccompProfile(in).ifPresent(p -> sc.set("seccompProfile", p));
    return sc;
  }
}
