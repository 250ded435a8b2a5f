package dev.istiod.xds.core.endpoint;

import dev.istiod.xds.core.ProtoRules;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.List;

/**
 * What Envoy would reject in a load assignment: its proto rules (endpoint and locality weights
 * of at least 1, priority at most 128, a port below 65536, ...).
 */
public final class AssignmentValidator {
  private AssignmentValidator() {}

  public static List<String> problems(ClusterLoadAssignment cla) {
    return ProtoRules.violations(cla);
  }
}
