package dev.istiod.xds.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.core.v3.ControlPlane;
import java.util.Objects;

/**
 * Which istiod answered: the JSON that upstream puts in {@code DiscoveryResponse.control_plane.identifier} of its
 * {@code istio.io/debug/syncz} responses. istioctl reads it for the ISTIOD column of {@code proxy-status} and for
 * the control plane's version in {@code istioctl x version}; the shape is upstream's
 * {@code {"Component":..,"ID":..,"Info":{"version":..,"revision":..,"golang_version":..,"status":..,"tag":..}}}.
 *
 * @param component always {@code istiod} upstream
 * @param id the instance, upstream's POD_NAME
 */
public record ControlPlaneInstance(String component, String id, BuildInfo info) {
  public ControlPlaneInstance {
    Objects.requireNonNull(component, "component");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(info, "info");
  }

  /**
   * The build, in the fields of upstream's {@code version.BuildInfo}. {@code golangVersion} names the runtime that
   * built and runs istiod (here a JDK); empty strings are fields this build does not know.
   */
  public record BuildInfo(String version, String revision, String golangVersion, String status, String tag) {
    public BuildInfo {
      version = Objects.requireNonNullElse(version, "");
      revision = Objects.requireNonNullElse(revision, "");
      golangVersion = Objects.requireNonNullElse(golangVersion, "");
      status = Objects.requireNonNullElse(status, "");
      tag = Objects.requireNonNullElse(tag, "");
    }
  }

  /** An istiod of {@code version} named {@code id}, running on this JVM. */
  public static ControlPlaneInstance istiod(String id, String version) {
    return new ControlPlaneInstance("istiod", id,
        new BuildInfo(version, "", "java" + Runtime.version().feature(), "", version));
  }

  /** The identifier JSON, with upstream's field names. */
  public String identifier() {
    Struct buildInfo = Struct.newBuilder()
        .putFields("version", text(info.version()))
        .putFields("revision", text(info.revision()))
        .putFields("golang_version", text(info.golangVersion()))
        .putFields("status", text(info.status()))
        .putFields("tag", text(info.tag()))
        .build();
    Struct root = Struct.newBuilder()
        .putFields("Component", text(component))
        .putFields("ID", text(id))
        .putFields("Info", Value.newBuilder().setStructValue(buildInfo).build())
        .build();
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(root);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot render the control plane identifier", e);
    }
  }

  private static Value text(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  ControlPlane toProto() {
    return ControlPlane.newBuilder().setIdentifier(identifier()).build();
  }
}
