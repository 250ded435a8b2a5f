package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.mesh.v1alpha1.ProxyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the sidecar template reads (upstream's SidecarTemplateData), with the small
 * derivations several parts of the template share.
 *
 * @param meta the pod's metadata, previously injected parts removed
 * @param spec the pod's spec, previously injected containers removed
 * @param nativeSidecars whether native sidecars are on for this pod's node(s), before the pod's
 *     own {@code sidecar.istio.io/nativeSidecar} annotation is consulted
 */
record TemplateInput(ObjectNode meta, ObjectNode spec, DeployMeta deploy, ProxyConfig proxyConfig, MeshConfig mesh,
    InjectionValues values, String revision, boolean nativeSidecars, String proxyImage, long proxyUid,
    long proxyGid, String compliancePolicy) {
  static final String PROXY = "istio-proxy";
  static final String INTERCEPTION_MODE = "sidecar.istio.io/interceptionMode";
  static final String STATUS_PORT = "status.sidecar.istio.io/port";

  TemplateInput {
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(deploy, "deploy");
    Objects.requireNonNull(proxyConfig, "proxyConfig");
    Objects.requireNonNull(mesh, "mesh");
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(proxyImage, "proxyImage");
    Objects.requireNonNull(compliancePolicy, "compliancePolicy");
  }

  Map<String, String> annotations() {
    return Json.stringMap(meta.path("annotations"));
  }

  Map<String, String> labels() {
    return Json.stringMap(meta.path("labels"));
  }

  boolean hasAnnotation(String name) {
    return meta.path("annotations").has(name);
  }

  /** The annotation's value, or {@code fallback} when the pod does not set it (even to ""). */
  String annotation(String name, String fallback) {
    JsonNode v = meta.path("annotations").get(name);
    return v == null ? fallback : Json.text(v);
  }

  /** The annotation's value when set and non-empty, else "". */
  String annotationOrEmpty(String name) {
    return annotation(name, "");
  }

  /** A values entry the pod may override by annotation. */
  String annotationOrValue(String name, String valuesPath) {
    return annotation(name, values.str(valuesPath));
  }

  String interceptionMode() {
    return annotation(INTERCEPTION_MODE, proxyConfig.getInterceptionMode().name());
  }

  boolean tproxy() {
    return interceptionMode().equals("TPROXY");
  }

  boolean capNetBindService() {
    JsonNode v = values.at("global.proxy.capNetBindService");
    String fallback = v.isMissingNode() || v.isNull() ? "<nil>" : Json.text(v);
    return annotation("sidecar.istio.io/capNetBindService", fallback).equals("true");
  }

  /** The pod's {@code sidecar.istio.io/nativeSidecar} decides; anything but "false" means yes. */
  boolean nativeSidecar() {
    String a = annotationOrEmpty("sidecar.istio.io/nativeSidecar");
    return !(a.isEmpty() ? Boolean.toString(nativeSidecars) : a).equals("false");
  }

  boolean holdApplication() {
    return (proxyConfig.getHoldApplicationUntilProxyStarts().getValue()
        || values.truthy("global.proxy.holdApplicationUntilProxyStarts")) && !nativeSidecar();
  }

  /** The status port the pod asks for, or the values' default; "0" disables the proxy's probes. */
  String statusPort() {
    return annotationOrValue(STATUS_PORT, "global.proxy.statusPort");
  }

  boolean cni() {
    return values.truthy("pilot.cni.enabled");
  }

  /** The application's containers: every container but a user-defined {@code istio-proxy}. */
  List<String> appContainers() {
    List<String> names = new ArrayList<>();
    for (JsonNode c : spec.path("containers")) {
      String name = c.path("name").asText("");
      if (!name.equals(PROXY)) {
        names.add(name);
      }
    }
    return names;
  }

  String proxyMetadata(String key) {
    return proxyConfig.getProxyMetadataOrDefault(key, "");
  }

  String trustDomain() {
    return mesh.getTrustDomain().isEmpty() ? values.str("global.trustDomain") : mesh.getTrustDomain();
  }
}
