package dev.istiod.serviceregistry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.NodeType;
import dev.istiod.model.Protocol;
import dev.istiod.model.Proxy;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceDiscovery;
import dev.istiod.model.ServicePort;
import dev.istiod.model.ServiceTarget;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregateServiceDiscoveryTest {
  static Service service(String host, String ns, Service.Registry registry) {
    return new Service(host, ns, List.of(), List.of(new ServicePort("http", 80, Protocol.HTTP)),
        Resolution.CLIENT_SIDE_LB, false, null, null, null, registry, new ConfigKey(Kind.SERVICE, ns, host));
  }

  static ServiceDiscovery fixed(List<Service> services, List<ServiceTarget> targets) {
    return new ServiceDiscovery() {
      @Override
      public List<Service> services() {
        return services;
      }

      @Override
      public List<ServiceTarget> serviceTargets(Proxy proxy) {
        return targets;
      }
    };
  }

  static final Proxy PROXY = new Proxy(NodeType.SIDECAR, "a.ns", "sidecar~10.0.0.1~a.ns~ns.svc.cluster.local",
      List.of("10.0.0.1"), "", "ns", null, null, null, null, null);

  @Test
  void services_mergedAndSorted_firstRegistryWinsOnSameHostAndNamespace() {
    Service kube = service("reviews.ns.svc.cluster.local", "ns", Service.Registry.KUBERNETES);
    Service se = service("reviews.ns.svc.cluster.local", "ns", Service.Registry.SERVICE_ENTRY);
    Service other = service("api.example.com", "ns", Service.Registry.SERVICE_ENTRY);
    Service sameHostOtherNs = service("reviews.ns.svc.cluster.local", "b", Service.Registry.SERVICE_ENTRY);

    var aggregate = AggregateServiceDiscovery.of(fixed(List.of(kube), List.of()),
        fixed(List.of(se, other, sameHostOtherNs), List.of()));

    assertThat(aggregate.services()).containsExactly(other, sameHostOtherNs, kube);
  }

  @Test
  void serviceTargets_concatenatedInRegistryOrder() {
    Service a = service("a", "ns", Service.Registry.KUBERNETES);
    Service b = service("b", "ns", Service.Registry.SERVICE_ENTRY);
    ServiceTarget ta = new ServiceTarget(a, a.ports().get(0), 8080);
    ServiceTarget tb = new ServiceTarget(b, b.ports().get(0), 9090);

    var aggregate = AggregateServiceDiscovery.of(fixed(List.of(), List.of(ta)), fixed(List.of(), List.of(tb)));

    assertThat(aggregate.serviceTargets(PROXY)).containsExactly(ta, tb);
  }

  @Test
  void failingRegistry_doesNotHideTheOthers() {
    Service b = service("b", "ns", Service.Registry.SERVICE_ENTRY);
    ServiceDiscovery broken = new ServiceDiscovery() {
      @Override
      public List<Service> services() {
        throw new IllegalStateException("boom");
      }

      @Override
      public List<ServiceTarget> serviceTargets(Proxy proxy) {
        throw new IllegalStateException("boom");
      }
    };

    var aggregate = AggregateServiceDiscovery.of(broken, fixed(List.of(b), List.of()));

    assertThat(aggregate.services()).containsExactly(b);
    assertThat(aggregate.serviceTargets(PROXY)).isEmpty();
  }
}
