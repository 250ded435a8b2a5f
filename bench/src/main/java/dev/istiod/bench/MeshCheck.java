package dev.istiod.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;

/**
 * Guards the benchmark's input: if generation silently produced a smaller mesh (a service dropped
 * by validation, a VirtualService ignored), the numbers would measure the wrong thing.
 */
final class MeshCheck {
  private MeshCheck() {}

  static void requireIssueScale(SyntheticMesh mesh, GenerationResult cds, GenerationResult lds,
      GenerationResult rds) {
    SyntheticMesh.Shape s = mesh.shape();
    int ports = 3;
    int subsets = 2;
    require("clusters", cds.resources().size(), s.services() * ports + s.destinationRules() * subsets * ports);
    require("listeners", lds.resources().size(), s.services()); // one per TCP VIP, plus the HTTP ports
    int virtualHosts = 0;
    int routes = 0;
    for (XdsResource r : rds.resources()) {
      try {
        RouteConfiguration rc = r.resource().unpack(RouteConfiguration.class);
        virtualHosts += rc.getVirtualHostsCount();
        routes += rc.getVirtualHostsList().stream().mapToInt(v -> v.getRoutesCount()).sum();
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("RDS returned something that is not a RouteConfiguration", e);
      }
    }
    int httpPorts = 2;
    require("virtual hosts", virtualHosts, s.services() * httpPorts);
    require("routes", routes, s.services() * httpPorts + s.virtualServices() * httpPorts);
  }

  private static void require(String what, int got, int atLeast) {
    if (got < atLeast) {
      throw new IllegalStateException("synthetic mesh generated " + got + " " + what + ", expected at least "
          + atLeast);
    }
  }
}
