package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiscoveryRequestMarshallerTest {
  private static final DiscoveryRequest ACK = DiscoveryRequest.newBuilder()
      .setVersionInfo("2026-12-07T23:00:00Z/7")
      .setNode(Node.newBuilder().setId("sidecar~10.0.0.1~app-1.default~default.svc.cluster.local"))
      .addResourceNames("outbound|80||b.default.svc.cluster.local")
      .addResourceNames("outbound|80||a.default.svc.cluster.local")
      .addResourceNames("outbound|9080|v1|reviews.bookinfo.svc.cluster.local")
      .setTypeUrl("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment")
      .setResponseNonce("f3a1")
      .setErrorDetail(Status.newBuilder().setCode(13).setMessage("rejected"))
      .setUnknownFields(UnknownFieldSet.newBuilder().addField(99,
          UnknownFieldSet.Field.newBuilder().addVarint(5).build()).build())
      .build();

  @Test
  void readsWhatTheGeneratedParserReads_namesInTheirOrder() {
    DiscoveryRequest parsed = DiscoveryRequestMarshaller.INSTANCE.parse(
        new ByteArrayInputStream(ACK.toByteArray()));
    assertThat(parsed).isEqualTo(ACK);
    assertThat(parsed.getResourceNamesList()).containsExactly("outbound|80||b.default.svc.cluster.local",
        "outbound|80||a.default.svc.cluster.local", "outbound|9080|v1|reviews.bookinfo.svc.cluster.local");
    assertThat(parsed.getNode().getId()).isEqualTo(ACK.getNode().getId());
  }

  @Test
  void aNameThatIsNotUtf8_isRefusedAsTheGeneratedParserRefusesIt() {
    byte[] bad = DiscoveryRequest.newBuilder().addResourceNames("x").build().toByteArray();
    bad[bad.length - 1] = (byte) 0xff;
    assertThatThrownBy(() -> DiscoveryRequestMarshaller.INSTANCE.parse(new ByteArrayInputStream(bad)))
        .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("INTERNAL");
    assertThatThrownBy(() -> DiscoveryRequest.parseFrom(bad)).isNotNull();
  }

  @Test
  void truncatedBytes_areRefused() {
    byte[] whole = ACK.toByteArray();
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 1); // a tag without its value
    assertThatThrownBy(() -> DiscoveryRequest.parseFrom(cut)).isNotNull();
    assertThatThrownBy(() -> DiscoveryRequestMarshaller.INSTANCE.parse(new ByteArrayInputStream(cut)))
        .isInstanceOf(StatusRuntimeException.class);
    byte[] inAName = java.util.Arrays.copyOf(whole, 120); // within the first resource name
    assertThatThrownBy(() -> DiscoveryRequest.parseFrom(inAName)).isNotNull();
    assertThatThrownBy(() -> DiscoveryRequestMarshaller.INSTANCE.parse(new ByteArrayInputStream(inAName)))
        .isInstanceOf(StatusRuntimeException.class);
  }

  @Test
  void requestedNames_sameNamesSameOrder_matchWhetherDecodedOrNot() {
    DiscoveryRequest parsed = DiscoveryRequestMarshaller.INSTANCE.parse(
        new ByteArrayInputStream(ACK.toByteArray()));
    RequestedNames undecoded = DiscoveryRequestMarshaller.requestedNames(parsed);
    assertThat(undecoded).isEqualTo(RequestedNames.of(List.copyOf(ACK.getResourceNamesList())));
    assertThat(undecoded).isNotEqualTo(RequestedNames.of(List.of("outbound|80||a.default.svc.cluster.local",
        "outbound|80||b.default.svc.cluster.local", "outbound|9080|v1|reviews.bookinfo.svc.cluster.local")));
    assertThat(undecoded).isNotEqualTo(RequestedNames.of(List.of("outbound|80||b.default.svc.cluster.local")));
    // Names that concatenate alike are still told apart.
    assertThat(RequestedNames.of(List.of("ab", "c"))).isNotEqualTo(RequestedNames.of(List.of("a", "bc")));
    assertThat(RequestedNames.of(List.of())).isNotEqualTo(RequestedNames.NONE);
  }

  @Test
  void requestedNames_fromTheBytes_equalThoseFromTheDecodedNames() {
    DiscoveryRequest parsed = DiscoveryRequestMarshaller.INSTANCE.parse(new ByteArrayInputStream(ACK.toByteArray()));
    assertThat(DiscoveryRequestMarshaller.requestedNames(parsed))
        .isEqualTo(RequestedNames.of(List.copyOf(parsed.getResourceNamesList())));
    DiscoveryRequest none = DiscoveryRequestMarshaller.INSTANCE.parse(new ByteArrayInputStream(
        ACK.toBuilder().clearResourceNames().build().toByteArray()));
    assertThat(DiscoveryRequestMarshaller.requestedNames(none)).isEqualTo(RequestedNames.of(List.of()));
  }

  @Test
  void namesInterleavedWithOtherFields_areStillReadInTheirOrder() throws Exception {
    // Field order on the wire is the sender's choice: a name, the type URL, another name.
    byte[] a = DiscoveryRequest.newBuilder().addResourceNames("one").build().toByteArray();
    byte[] t = DiscoveryRequest.newBuilder().setTypeUrl("type.googleapis.com/x").build().toByteArray();
    byte[] b = DiscoveryRequest.newBuilder().addResourceNames("two").build().toByteArray();
    java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
    wire.write(a);
    wire.write(t);
    wire.write(b);
    DiscoveryRequest parsed = DiscoveryRequestMarshaller.INSTANCE.parse(new ByteArrayInputStream(wire.toByteArray()));
    assertThat(parsed.getResourceNamesList()).containsExactly("one", "two");
    assertThat(parsed.getTypeUrl()).isEqualTo("type.googleapis.com/x");
    assertThat(DiscoveryRequestMarshaller.requestedNames(parsed)).isEqualTo(RequestedNames.of(List.of("one", "two")));
  }

  @Test
  void aBytesOnlyName_isStillTheSameName() {
    DiscoveryRequest r = DiscoveryRequest.newBuilder()
        .addResourceNamesBytes(ByteString.copyFromUtf8("outbound|80||b.default.svc.cluster.local")).build();
    assertThat(RequestedNames.of(r.getResourceNamesList()))
        .isEqualTo(RequestedNames.of(List.of("outbound|80||b.default.svc.cluster.local")));
  }
}
