package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code istio-proxy} container: the stock {@code proxyv2} image running
 * {@code pilot-agent proxy sidecar}, with the environment pilot-agent reads to find istiod and
 * describe its workload, readiness on 15021, and a non-root, read-only security context. A
 * native sidecar (an init container with {@code restartPolicy: Always}) drains on preStop.
 */
final class ProxyContainer {
  private static final String READY_PATH = "/healthz/ready";
  private static final int READY_PORT = 15021;

  private ProxyContainer() {}

  static ObjectNode render(TemplateInput in) {
    ObjectNode c = Json.object();
    c.put("name", TemplateInput.PROXY);
    String custom = in.annotationOrValue("sidecar.istio.io/proxyImage", "global.proxy.image");
    c.put("image", custom.contains("/") ? custom : in.proxyImage());
    if (in.nativeSidecar()) {
      c.put("restartPolicy", "Always");
    }
    c.putArray("ports").addObject().put("containerPort", 15090).put("protocol", "TCP").put("name", "http-envoy-prom");
    c.set("args", args(in));
    lifecycle(in).ifPresent(l -> c.set("lifecycle", l));
    c.set("env", ProxyEnv.render(in));
    SidecarTemplate.putIfNotEmpty(c, "imagePullPolicy", in.values().str("global.imagePullPolicy"));
    if (!in.statusPort().equals("0")) {
      if (in.values().truthy("global.proxy.startupProbe.enabled")) {
        ObjectNode startup = probe(c.putObject("startupProbe"), "0", "1");
        startup.put("failureThreshold", number(in.values().str("global.proxy.startupProbe.failureThreshold")));
      }
      ObjectNode ready = probe(c.putObject("readinessProbe"),
          in.annotationOrValue("readiness.status.sidecar.istio.io/initialDelaySeconds",
              "global.proxy.readinessInitialDelaySeconds"),
          in.annotationOrValue("readiness.status.sidecar.istio.io/periodSeconds", "global.proxy.readinessPeriodSeconds"));
      ready.put("failureThreshold", number(in.annotationOrValue("readiness.status.sidecar.istio.io/failureThreshold",
          "global.proxy.readinessFailureThreshold")));
    }
    c.set("securityContext", securityContext(in));
    ProxyResources.render(in).ifPresent(r -> c.set("resources", r));
    c.set("volumeMounts", SidecarVolumes.mounts(in));
    return c;
  }

  private static ArrayNode args(TemplateInput in) {
    ArrayNode a = Json.array();
    a.add("proxy").add("sidecar").add("--domain");
    a.add("$(POD_NAMESPACE).svc." + in.values().str("global.proxy.clusterDomain"));
    a.add("--proxyLogLevel=" + in.annotationOrValue("sidecar.istio.io/logLevel", "global.proxy.logLevel"));
    a.add("--proxyComponentLogLevel="
        + in.annotationOrValue("sidecar.istio.io/componentLogLevel", "global.proxy.componentLogLevel"));
    a.add("--log_output_level=" + in.annotationOrValue("sidecar.istio.io/agentLogLevel", "global.logging.level"));
    if (in.values().truthy("global.sts.servicePort")) {
      a.add("--stsPort=" + in.values().str("global.sts.servicePort"));
    }
    if (in.values().truthy("global.logAsJson")) {
      a.add("--log_as_json");
    }
    if (in.values().truthy("global.proxy.outlierLogPath")) {
      a.add("--outlierLogPath=" + in.values().str("global.proxy.outlierLogPath"));
    }
    return a;
  }

  /** The values' lifecycle, else wait-for-proxy on postStart, else (native) drain on preStop. */
  private static java.util.Optional<JsonNode> lifecycle(TemplateInput in) {
    JsonNode configured = in.values().at("global.proxy.lifecycle");
    if (in.values().truthy("global.proxy.lifecycle")) {
      return java.util.Optional.of(configured.deepCopy());
    }
    ObjectNode l = Json.object();
    if (in.holdApplication()) {
      l.putObject("postStart").putObject("exec").putArray("command").add("pilot-agent").add("wait");
    } else if (in.nativeSidecar()) {
      l.putObject("preStop").putObject("exec").putArray("command").add("pilot-agent").add("request")
          .add("--debug-port=" + in.statusPort()).add("POST").add("drain");
    } else {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(l);
  }

  private static ObjectNode probe(ObjectNode p, String initialDelay, String period) {
    p.putObject("httpGet").put("path", READY_PATH).put("port", READY_PORT);
    long delay = number(initialDelay);
    if (delay != 0) {
      p.put("initialDelaySeconds", delay);
    }
    p.put("periodSeconds", number(period));
    p.put("timeoutSeconds", 3);
    return p;
  }

  private static long number(String s) {
    try {
      return Long.parseLong(s.strip());
    } catch (NumberFormatException e) {
      return 0; // the annotation checks reject bad numbers before the template runs
    }
  }

  private static ObjectNode securityContext(TemplateInput in) {
    ObjectNode sc = Json.object();
    if (in.proxyMetadata("IPTABLES_TRACE_LOGGING").equals("true")) {
      sc.put("allowPrivilegeEscalation", true);
      ObjectNode caps = sc.putObject("capabilities");
      caps.putArray("add").add("NET_ADMIN");
      caps.putArray("drop").add("ALL");
      sc.put("privileged", true);
      sc.put("readOnlyRootFilesystem", true);
      sc.put("runAsGroup", in.proxyGid());
      sc.put("runAsNonRoot", false);
      sc.put("runAsUser", 0);
    } else {
      boolean privileged = in.values().truthy("global.proxy.privileged");
      boolean tproxy = in.tproxy();
      boolean bindService = in.capNetBindService();
      sc.put("allowPrivilegeEscalation", privileged);
      ObjectNode caps = sc.putObject("capabilities");
      if (tproxy || bindService) {
        ArrayNode add = caps.putArray("add");
        if (tproxy) {
          add.add("NET_ADMIN");
        }
        if (bindService) {
          add.add("NET_BIND_SERVICE");
        }
      }
      caps.putArray("drop").add("ALL");
      sc.put("privileged", privileged);
      sc.put("readOnlyRootFilesystem", true);
      if (tproxy || bindService) {
        sc.put("runAsNonRoot", false);
        sc.put("runAsUser", 0);
        sc.put("runAsGroup", 1337);
      } else {
        sc.put("runAsNonRoot", true);
        sc.put("runAsUser", in.proxyUid());
        sc.put("runAsGroup", in.proxyGid());
      }
    }
    ProxyResources.seccompProfile(in).ifPresent(p -> sc.set("seccompProfile", p));
    return sc;
  }

  /** Proxy metadata from the ProxyConfig, sorted by name as the template ranges over the map. */
  static Map<String, String> sortedMetadata(TemplateInput in) {
    return new TreeMap<>(in.proxyConfig().getProxyMetadataMap());
  }
}
