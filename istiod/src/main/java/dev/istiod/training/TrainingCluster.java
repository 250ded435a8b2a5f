package dev.istiod.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.KindSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The synthetic cluster {@link TrainingApiServer} serves: shaped like a small meshed cluster
 * (injected Pods with their sidecar and init containers, Services with several ports,
 * EndpointSlices, a Node with topology labels, Istio's CRDs, the {@code istio} ConfigMap, a
 * TLS Secret, webhook configurations) so that decoding and handling them trains the same code a
 * real cluster exercises. Sizes are a few hundred objects: enough for the JIT profiles, bounded
 * for an image build.
 */
final class TrainingCluster {
  static final int SERVICES = 300;
  static final int PODS_PER_SERVICE = 2;
  static final int NAMESPACES = 3;
  private static final String NODE = "training-node";
  private static final String TIME = "2026-01-01T00:00:00Z";
  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainingCluster() {}

  /** Every object, each with apiVersion and kind; the Istio configs of {@code trainingYaml} too, when given. */
  static List<ObjectNode> objects(Path trainingYaml) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    for (String ns : List.of("default", "kube-system", "istio-system")) {
      out.add(namespace(ns, Map.of()));
    }
    for (int n = 0; n < NAMESPACES; n++) {
      out.add(namespace("training-" + n, Map.of("istio-injection", "enabled")));
    }
    out.add(node());
    for (int i = 0; i < SERVICES; i++) {
      String ns = "training-" + (i % NAMESPACES);
      out.add(service(i, ns));
      ArrayNode endpoints = JSON.createArrayNode();
      for (int e = 0; e < PODS_PER_SERVICE; e++) {
        String ip = "10.200." + ((i * PODS_PER_SERVICE + e) / 250) + "." + ((i * PODS_PER_SERVICE + e) % 250 + 1);
        out.add(pod(i, e, ns, ip));
        ObjectNode ep = endpoints.addObject();
        ep.putArray("addresses").add(ip);
        ep.putObject("conditions").put("ready", true).put("serving", true).put("terminating", false);
        ep.put("nodeName", NODE).put("zone", "zone-a");
        ep.putObject("targetRef").put("kind", "Pod").put("namespace", ns).put("name", "svc-" + i + "-" + e);
      }
      out.add(slice(i, ns, endpoints));
    }
    out.add(obj("v1", "ConfigMap", "istio-system", "istio")
        .set("data", JSON.createObjectNode().put("mesh", "rootNamespace: istio-system\ntrustDomain: cluster.local\n"
            + "enableAutoMtls: true\ndefaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n")));
    ObjectNode secret = obj("v1", "Secret", "istio-system", "training-credential").put("type", "kubernetes.io/tls");
    secret.putObject("data").put("tls.crt", "").put("tls.key", "");
    out.add(secret);
    for (String kind : List.of("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")) {
      ObjectNode w = obj("admissionregistration.k8s.io/v1", kind, null, "istio-training");
      w.with("metadata").putObject("labels").put("istio.io/rev", "default");
      w.putArray("webhooks");
      out.add(w);
    }
    for (KindSchema schema : KindRegistry.istio().schemas()) {
      out.add(crd(schema));
    }
    if (trainingYaml != null) {
      out.addAll(istioConfigs(trainingYaml));
    }
    return out;
  }

  /** The plural resource name of a kind this cluster holds. */
  static String plural(String kind) {
    Optional<KindSchema> istio = KindRegistry.istio().schemas().stream()
        .filter(s -> s.kindName().equals(kind)).findFirst();
    if (istio.isPresent()) {
      return istio.get().plural();
    }
    String lower = kind.toLowerCase(java.util.Locale.ROOT);
    return lower.endsWith("s") ? lower + "es" : lower + "s";
  }

  /** The training mesh's configs, moved to namespaces of their own (the config directory has the originals). */
  private static List<ObjectNode> istioConfigs(Path yaml) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    Load load = new Load(LoadSettings.builder().build());
    for (Object doc : load.loadAllFromString(Files.readString(yaml))) {
      if (!(doc instanceof Map<?, ?>)) {
        continue;
      }
      ObjectNode o = JSON.valueToTree(doc);
      String[] gv = o.path("apiVersion").asText().split("/", 2);
      Optional<KindSchema> schema = KindRegistry.istio().findByGroupKind(gv[0], o.path("kind").asText());
      if (schema.isEmpty()) {
        continue;
      }
      o.put("apiVersion", schema.get().apiVersion());
      ObjectNode meta = o.with("metadata");
      meta.put("namespace", meta.path("namespace").asText("default") + "-kube");
      out.add(o);
    }
    return out;
  }

  private static ObjectNode obj(String apiVersion, String kind, String namespace, String name) {
    ObjectNode o = JSON.createObjectNode().put("apiVersion", apiVersion).put("kind", kind);
    ObjectNode meta = o.putObject("metadata").put("name", name).put("creationTimestamp", TIME);
    if (namespace != null) {
      meta.put("namespace", namespace);
    }
    return o;
  }

  private static ObjectNode namespace(String name, Map<String, String> labels) {
    ObjectNode ns = obj("v1", "Namespace", null, name);
    ObjectNode l = ns.with("metadata").putObject("labels").put("kubernetes.io/metadata.name", name);
    labels.forEach(l::put);
    ns.putObject("spec").putArray("finalizers").add("kubernetes");
    ns.putObject("status").put("phase", "Active");
    return ns;
  }

  private static ObjectNode node() {
    ObjectNode n = obj("v1", "Node", null, NODE);
    n.with("metadata").putObject("labels").put("topology.kubernetes.io/region", "region-a")
        .put("topology.kubernetes.io/zone", "zone-a").put("kubernetes.io/hostname", NODE);
    ObjectNode status = n.putObject("status");
    status.putObject("nodeInfo").put("kubeletVersion", "v1.33.0").put("architecture", "amd64")
        .put("operatingSystem", "linux").put("containerRuntimeVersion", "containerd://2.0.0");
    status.putArray("addresses").addObject().put("type", "InternalIP").put("address", "10.250.0.1");
    status.putArray("conditions").addObject().put("type", "Ready").put("status", "True")
        .put("lastHeartbeatTime", TIME).put("lastTransitionTime", TIME);
    status.putObject("capacity").put("cpu", "2").put("memory", "8Gi").put("pods", "110");
    return n;
  }

  private static ObjectNode service(int i, String ns) {
    ObjectNode s = obj("v1", "Service", ns, "svc-" + i);
    s.with("metadata").putObject("labels").put("app", "svc-" + i);
    ObjectNode spec = s.putObject("spec").put("type", "ClusterIP")
        .put("clusterIP", "10.96." + (i / 250) + "." + (i % 250 + 1)).put("sessionAffinity", "None");
    spec.putArray("clusterIPs").add(spec.path("clusterIP").asText());
    spec.putObject("selector").put("app", "svc-" + i);
    ArrayNode ports = spec.putArray("ports");
    ports.addObject().put("name", "http").put("port", 80).put("targetPort", 8080).put("protocol", "TCP");
    if (i % 3 == 0) {
      ports.addObject().put("name", "grpc").put("port", 9090).put("targetPort", 9090).put("protocol", "TCP")
          .put("appProtocol", "grpc");
    }
    if (i % 5 == 0) {
      ports.addObject().put("name", "tcp-db").put("port", 5432).put("targetPort", "db").put("protocol", "TCP");
    }
    s.putObject("status").putObject("loadBalancer");
    return s;
  }

  private static ObjectNode pod(int i, int e, String ns, String ip) {
    String version = e % 2 == 0 ? "v1" : "v2";
    ObjectNode p = obj("v1", "Pod", ns, "svc-" + i + "-" + e);
    ObjectNode meta = p.with("metadata");
    meta.put("uid", "00000000-0000-0000-0000-" + String.format("%012d", i * 10 + e));
    meta.putObject("labels").put("app", "svc-" + i).put("version", version)
        .put("security.istio.io/tlsMode", "istio").put("service.istio.io/canonical-name", "svc-" + i)
        .put("service.istio.io/canonical-revision", version);
    meta.putObject("annotations").put("sidecar.istio.io/status", "{\"containers\":[\"istio-proxy\"]}")
        .put("prometheus.io/port", "15020");
    meta.putArray("ownerReferences").addObject().put("apiVersion", "apps/v1").put("kind", "ReplicaSet")
        .put("name", "svc-" + i + "-5d9c").put("uid", "rs-" + i).put("controller", true);
    meta.putArray("managedFields").addObject().put("manager", "kubelet").put("operation", "Update")
        .put("apiVersion", "v1").put("time", TIME).put("fieldsType", "FieldsV1").putObject("fieldsV1")
        .putObject("f:status").putObject("f:conditions").putObject("k:{\"type\":\"Ready\"}").putObject(".");
    ObjectNode spec = p.putObject("spec").put("nodeName", NODE).put("serviceAccountName", "svc-" + i)
        .put("restartPolicy", "Always").put("dnsPolicy", "ClusterFirst");
    ObjectNode app = spec.putArray("containers").addObject().put("name", "app").put("image", "training/app:1");
    app.putArray("ports").addObject().put("containerPort", 8080).put("protocol", "TCP");
    app.withArray("ports").addObject().put("name", "db").put("containerPort", 5432).put("protocol", "TCP");
    app.putObject("readinessProbe").putObject("httpGet").put("path", "/healthz").put("port", 8080);
    app.putObject("resources").putObject("requests").put("cpu", "100m").put("memory", "64Mi");
    ObjectNode proxy = spec.withArray("containers").addObject().put("name", "istio-proxy")
        .put("image", "istio/proxyv2:1.28.0");
    proxy.putArray("args").add("proxy").add("sidecar");
    proxy.putArray("env").addObject().put("name", "ISTIO_META_CLUSTER_ID").put("value", "Kubernetes");
    proxy.withArray("env").addObject().put("name", "POD_NAME").putObject("valueFrom").putObject("fieldRef")
        .put("fieldPath", "metadata.name");
    proxy.putArray("ports").addObject().put("name", "http-envoy-prom").put("containerPort", 15090)
        .put("protocol", "TCP");
    proxy.putArray("volumeMounts").addObject().put("name", "istiod-ca-cert").put("mountPath", "/var/run/secrets/istio");
    proxy.putObject("securityContext").put("runAsUser", 1337).put("runAsNonRoot", true);
    spec.putArray("initContainers").addObject().put("name", "istio-init").put("image", "istio/proxyv2:1.28.0");
    spec.putArray("volumes").addObject().put("name", "istiod-ca-cert").putObject("configMap")
        .put("name", "istio-ca-root-cert");
    spec.putArray("tolerations").addObject().put("key", "node.kubernetes.io/not-ready").put("operator", "Exists")
        .put("effect", "NoExecute").put("tolerationSeconds", 300);
    ObjectNode status = p.putObject("status").put("phase", "Running").put("podIP", ip).put("hostIP", "10.250.0.1")
        .put("qosClass", "Burstable").put("startTime", TIME);
    status.putArray("podIPs").addObject().put("ip", ip);
    for (String t : List.of("PodScheduled", "Initialized", "ContainersReady", "Ready")) {
      status.withArray("conditions").addObject().put("type", t).put("status", "True").putNull("lastProbeTime")
          .put("lastTransitionTime", TIME);
    }
    for (String c : List.of("app", "istio-proxy")) {
      ObjectNode cs = status.withArray("containerStatuses").addObject().put("name", c).put("ready", true)
          .put("started", true).put("restartCount", 0).put("image", "training/" + c).put("imageID", "");
      cs.putObject("state").putObject("running").put("startedAt", TIME);
    }
    return p;
  }

  private static ObjectNode slice(int i, String ns, JsonNode endpoints) {
    ObjectNode s = obj("discovery.k8s.io/v1", "EndpointSlice", ns, "svc-" + i + "-abcde");
    s.with("metadata").putObject("labels").put("kubernetes.io/service-name", "svc-" + i)
        .put("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
    s.put("addressType", "IPv4");
    s.set("endpoints", endpoints);
    ArrayNode ports = s.putArray("ports");
    ports.addObject().put("name", "http").put("port", 8080).put("protocol", "TCP");
    if (i % 3 == 0) {
      ports.addObject().put("name", "grpc").put("port", 9090).put("protocol", "TCP").put("appProtocol", "grpc");
    }
    return s;
  }

  /** A CRD as Istio's chart installs it: every served version, an open schema, Established. */
  private static ObjectNode crd(KindSchema schema) {
    ObjectNode c = obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", null,
        schema.plural() + "." + schema.group());
    c.with("metadata").putObject("labels").put("app", "istio-pilot").put("chart", "istio");
    ObjectNode spec = c.putObject("spec").put("group", schema.group()).put("scope", "Namespaced");
    spec.putObject("names").put("kind", schema.kindName()).put("listKind", schema.kindName() + "List")
        .put("plural", schema.plural()).put("singular", schema.kindName().toLowerCase(java.util.Locale.ROOT));
    for (String v : schema.servedVersions()) {
      ObjectNode version = spec.withArray("versions").addObject().put("name", v).put("served", true)
          .put("storage", v.equals(schema.storageVersion()));
      ObjectNode root = version.putObject("schema").putObject("openAPIV3Schema").put("type", "object");
      ObjectNode props = root.putObject("properties");
      ObjectNode specSchema = props.putObject("spec").put("type", "object")
          .put("x-kubernetes-preserve-unknown-fields", true).put("description", "the " + schema.kindName());
      specSchema.putObject("properties").putObject("hosts").put("type", "array").putObject("items")
          .put("type", "string");
      props.putObject("status").put("type", "object").put("x-kubernetes-preserve-unknown-fields", true);
      version.putObject("subresources").putObject("status");
      version.putArray("additionalPrinterColumns").addObject().put("name", "Age").put("type", "date")
          .put("jsonPath", ".metadata.creationTimestamp");
    }
    ObjectNode status = c.putObject("status");
    status.putArray("conditions").addObject().put("type", "Established").put("status", "True")
        .put("lastTransitionTime", TIME).put("reason", "InitialNamesAccepted");
    status.putObject("acceptedNames").put("kind", schema.kindName()).put("plural", schema.plural());
    status.putArray("storedVersions").add(schema.storageVersion());
    return c;
  }
}
