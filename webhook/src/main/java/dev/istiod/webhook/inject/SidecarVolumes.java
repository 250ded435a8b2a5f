package dev.istiod.webhook.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The sidecar's volumes and where {@code istio-proxy} mounts them: the SDS and workload
 * sockets, the Envoy config directory in memory, the projected service account token istiod's
 * CA authenticates ({@code istio-token}, audience {@code istio-ca}), the mesh root certificate
 * ({@code istiod-ca-cert} from the {@code istio-ca-root-cert} ConfigMap) and the pod's labels
 * and annotations (downward API).
 */
final class SidecarVolumes {
  private static final String USER_VOLUME = "sidecar.istio.io/userVolume";
  private static final String USER_VOLUME_MOUNT = "sidecar.istio.io/userVolumeMount";
  private static final String BOOTSTRAP_OVERRIDE = "sidecar.istio.io/bootstrapOverride";

  private SidecarVolumes() {}

  /** The sidecar template's volumes and mounts, or the gateway template's (no CRL, no user volumes). */
  enum Flavor {
    SIDECAR,
    GATEWAY
  }

  static ArrayNode mounts(TemplateInput in) {
    return mounts(in, Flavor.SIDECAR);
  }

  static ArrayNode volumes(TemplateInput in) {
    return volumes(in, Flavor.SIDECAR);
  }

  static ArrayNode mounts(TemplateInput in, Flavor flavor) {
    boolean sidecar = flavor == Flavor.SIDECAR;
    ArrayNode m = Json.array();
    mount(m, "workload-socket", "/var/run/secrets/workload-spiffe-uds");
    mount(m, "credential-socket", "/var/run/secrets/credential-uds");
    if (gkeCertificates(in)) {
      mount(m, "gke-workload-certificate", "/var/run/secrets/workload-spiffe-credentials").put("readOnly", true);
    } else {
      mount(m, "workload-certs", "/var/run/secrets/workload-spiffe-credentials");
    }
    if (istiodCertificates(in)) {
      mount(m, "istiod-ca-cert", "/var/run/secrets/istio");
      if (sidecar) {
        mount(m, "istio-ca-crl", "/var/run/secrets/istio/crl");
      }
    }
    mount(m, "istio-data", "/var/lib/istio/data");
    if (in.hasAnnotation(BOOTSTRAP_OVERRIDE)) {
      mount(m, "custom-bootstrap-volume", "/etc/istio/custom-bootstrap");
    }
    mount(m, "istio-envoy", "/etc/istio/proxy");
    mount(m, "istio-token", "/var/run/secrets/tokens");
    if (in.values().truthy("global.mountMtlsCerts")) {
      mount(m, "istio-certs", "/etc/certs/").put("readOnly", true);
    }
    mount(m, "istio-podinfo", "/etc/istio/pod");
    if (sidecar) {
      userEntries(in, USER_VOLUME_MOUNT).forEach((name, value) -> m.add(named(name, value)));
    }
    return m;
  }

  static ArrayNode volumes(TemplateInput in, Flavor flavor) {
    boolean sidecar = flavor == Flavor.SIDECAR;
    ArrayNode v = Json.array();
    // No volume source: the apiserver defaults these to emptyDir.
    v.addObject().put("name", "workload-socket");
    ObjectNode credentials = v.addObject().put("name", "credential-socket");
    if (!sidecar) {
      credentials.putObject("emptyDir");
    }
    if (gkeCertificates(in)) {
      v.addObject().put("name", "gke-workload-certificate").putObject("csi")
          .put("driver", "workloadcertificates.security.cloud.google.com");
    } else {
      ObjectNode certs = v.addObject().put("name", "workload-certs");
      if (!sidecar) {
        certs.putObject("emptyDir");
      }
    }
    if (in.hasAnnotation(BOOTSTRAP_OVERRIDE)) {
      v.addObject().put("name", "custom-bootstrap-volume").putObject("configMap")
          .put("name", in.annotationOrEmpty(BOOTSTRAP_OVERRIDE));
    }
    v.addObject().put("name", "istio-envoy").putObject("emptyDir").put("medium", "Memory");
    v.addObject().put("name", "istio-data").putObject("emptyDir");
    ObjectNode podinfo = v.addObject().put("name", "istio-podinfo");
    ArrayNode items = podinfo.putObject("downwardAPI").putArray("items");
    items.addObject().put("path", "labels").putObject("fieldRef").put("fieldPath", "metadata.labels");
    items.addObject().put("path", "annotations").putObject("fieldRef").put("fieldPath", "metadata.annotations");
    v.addObject().put("name", "istio-token").putObject("projected").putArray("sources").addObject()
        .putObject("serviceAccountToken").put("path", "istio-token").put("expirationSeconds", 43200)
        .put("audience", in.values().str("global.sds.token.aud"));
    if (istiodCertificates(in)) {
      ObjectNode ca = v.addObject().put("name", "istiod-ca-cert");
      String bundle = in.values().str("global.trustBundleName");
      if (in.values().at("pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API").asBoolean(false)) {
        ca.putObject("projected").putArray("sources").addObject().putObject("clusterTrustBundle")
            .put("name", "istio.io:istiod-ca:" + SidecarTemplate.firstNonEmpty(bundle, "root-cert"))
            .put("path", "root-cert.pem");
      } else {
        ca.putObject("configMap").put("name", SidecarTemplate.firstNonEmpty(bundle, "istio-ca-root-cert"));
      }
    }
    if (sidecar) {
      v.addObject().put("name", "istio-ca-crl").putObject("configMap").put("name", "istio-ca-crl")
          .put("optional", true);
    }
    if (in.values().truthy("global.mountMtlsCerts")) {
      String sa = in.spec().path("serviceAccountName").asText("");
      v.addObject().put("name", "istio-certs").putObject("secret").put("optional", true)
          .put("secretName", sa.isEmpty() ? "istio.default" : "istio." + sa);
    }
    if (sidecar) {
      userEntries(in, USER_VOLUME).forEach((name, value) -> v.add(named(name, value)));
    }
    return v;
  }

  private static boolean gkeCertificates(TemplateInput in) {
    return in.values().str("global.caName").equals("GkeWorkloadCertificate");
  }

  private static boolean istiodCertificates(TemplateInput in) {
    return in.values().str("global.pilotCertProvider").equals("istiod");
  }

  private static ObjectNode mount(ArrayNode mounts, String name, String path) {
    return mounts.addObject().put("name", name).put("mountPath", path);
  }

  /** A JSON object of name to volume (or mount) in a {@code userVolume[Mount]} annotation. */
  private static Map<String, JsonNode> userEntries(TemplateInput in, String annotation) {
    Map<String, JsonNode> out = new java.util.TreeMap<>();
    if (!in.hasAnnotation(annotation)) {
      return out;
    }
    try {
      JsonNode entries = Json.read(in.annotationOrEmpty(annotation));
      entries.properties().forEach(e -> out.put(e.getKey(), e.getValue()));
    } catch (JsonProcessingException e) {
      // as upstream, an unreadable annotation adds nothing
    }
    return out;
  }

  private static ObjectNode named(String name, JsonNode value) {
    ObjectNode o = Json.object().put("name", name);
    if (value instanceof ObjectNode v) {
      v.properties().forEach(e -> {
        if (!e.getKey().equals("name")) {
          o.set(e.getKey(), e.getValue().deepCopy());
        }
      });
    }
    return o;
  }
}
