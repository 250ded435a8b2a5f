package dev.istiod.serviceregistry.kube;

/** Label and annotation names upstream reads from Kubernetes objects; one home for each. */
final class KubeLabels {
  /** On an EndpointSlice: the Service it belongs to. */
  static final String SERVICE_NAME = "kubernetes.io/service-name";
  /** On an EndpointSlice made for a multi-cluster ServiceImport; upstream ignores those slices. */
  static final String MCS_SERVICE_NAME = "multicluster.kubernetes.io/service-name";
  /** On a Service: the namespaces it is exported to, comma separated. */
  static final String EXPORT_TO = "networking.istio.io/exportTo";
  static final String CANONICAL_SERVICE_ACCOUNTS = "alpha.istio.io/canonical-serviceaccounts";
  static final String KUBERNETES_SERVICE_ACCOUNTS = "alpha.istio.io/kubernetes-serviceaccounts";

  static final String TLS_MODE = "security.istio.io/tlsMode";
  static final String LOCALITY = "istio-locality";
  static final String WORKLOAD_NAME = "service.istio.io/workload-name";
  static final String REGION = "topology.kubernetes.io/region";
  static final String ZONE = "topology.kubernetes.io/zone";
  /** Pre-GA node labels upstream still falls back to. */
  static final String REGION_BETA = "failure-domain.beta.kubernetes.io/region";
  static final String ZONE_BETA = "failure-domain.beta.kubernetes.io/zone";
  static final String SUBZONE = "topology.istio.io/subzone";
  static final String CLUSTER = "topology.istio.io/cluster";
  static final String NETWORK = "topology.istio.io/network";
  static final String HOSTNAME = "kubernetes.io/hostname";

  private KubeLabels() {}
}
