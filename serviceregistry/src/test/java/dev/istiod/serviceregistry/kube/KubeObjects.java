package dev.istiod.serviceregistry.kube;

import dev.istiod.model.NodeType;
import dev.istiod.model.Proxy;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Kubernetes objects for tests: Services from YAML as users write them, slices and Pods from short builders. */
final class KubeObjects {
  private KubeObjects() {}

  static Service service(String yaml) {
    return Serialization.unmarshal(yaml, Service.class);
  }

  /** A ClusterIP Service {@code name} in {@code ns} selecting {@code app: <name>}, with {@code ports} "name:port[:target]". */
  static Service clusterIp(String ns, String name, String ip, String... ports) {
    StringBuilder yaml = new StringBuilder("""
        apiVersion: v1
        kind: Service
        metadata: {name: %s, namespace: %s}
        spec:
          clusterIP: %s
          selector: {app: %s}
          ports:
        """.formatted(name, ns, ip, name));
    for (String p : ports) {
      String[] parts = p.split(":");
      yaml.append("  - {name: ").append(parts[0]).append(", port: ").append(parts[1])
          .append(", targetPort: ").append(parts.length > 2 ? parts[2] : parts[1]).append("}\n");
    }
    return service(yaml.toString());
  }

  /** One endpoint of a slice. */
  record Ep(List<String> addresses, String pod, Boolean ready, Boolean serving, Boolean terminating) {
    static Ep ready(String address, String pod) {
      return new Ep(List.of(address), pod, true, true, false);
    }

    static Ep notReady(String address, String pod) {
      return new Ep(List.of(address), pod, false, false, false);
    }

    static Ep terminating(String address, String pod) {
      return new Ep(List.of(address), pod, false, true, true);
    }
  }

  /** A slice of Service {@code service} with ports "name:port" and the given endpoints. */
  static EndpointSlice slice(String ns, String name, String service, List<String> ports, Ep... endpoints) {
    return slice(ns, name, service, "IPv4", ports, endpoints);
  }

  static EndpointSlice slice(String ns, String name, String service, String addressType, List<String> ports,
      Ep... endpoints) {
    EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withName(name).withNamespace(ns)
        .withLabels(service == null ? Map.of() : Map.of("kubernetes.io/service-name", service)).endMetadata()
        .withAddressType(addressType);
    for (String p : ports) {
      String[] parts = p.split(":");
      b.addToPorts(new EndpointPortBuilder().withName(parts[0]).withPort(Integer.parseInt(parts[1]))
          .withProtocol("TCP").build());
    }
    for (Ep e : endpoints) {
      EndpointBuilder eb = new EndpointBuilder().withAddresses(e.addresses())
          .withNewConditions().withReady(e.ready()).withServing(e.serving()).withTerminating(e.terminating())
          .endConditions();
      if (e.pod() != null) {
        eb.withTargetRef(new ObjectReferenceBuilder().withKind("Pod").withNamespace(ns).withName(e.pod()).build());
      }
      b.addToEndpoints(eb.build());
    }
    return b.build();
  }

  /** A running Pod with IPs, labels ("k=v"), service account and node. */
  static Pod pod(String ns, String name, List<String> ips, String serviceAccount, String node, String... labels) {
    Map<String, String> l = new LinkedHashMap<>();
    for (String kv : labels) {
      String[] parts = kv.split("=", 2);
      l.put(parts[0], parts[1]);
    }
    List<PodIP> podIps = new ArrayList<>();
    ips.forEach(ip -> podIps.add(new PodIP(ip)));
    return new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(l).endMetadata()
        .withNewSpec().withServiceAccountName(serviceAccount).withNodeName(node)
        .withContainers(new ContainerBuilder().withName("app").withImage("app")
            .withPorts(new ContainerPortBuilder().withName("http-web").withContainerPort(8080).withProtocol("TCP").build())
            .build())
        .endSpec()
        .withNewStatus().withPhase("Running").withPodIP(ips.isEmpty() ? null : ips.get(0)).withPodIPs(podIps)
        .endStatus().build();
  }

  static Node node(String name, String... labels) {
    Map<String, String> l = new LinkedHashMap<>();
    for (String kv : labels) {
      String[] parts = kv.split("=", 2);
      l.put(parts[0], parts[1]);
    }
    return new NodeBuilder().withNewMetadata().withName(name).withLabels(l).endMetadata().build();
  }

  static Proxy sidecar(String ns, String podName, String... ips) {
    String id = podName + "." + ns;
    return new Proxy(NodeType.SIDECAR, id, "sidecar~" + ips[0] + "~" + id + "~" + ns + ".svc.cluster.local",
        Arrays.asList(ips), ns + ".svc.cluster.local", ns, null, Map.of(), null, null, null);
  }
}
