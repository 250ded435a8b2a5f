package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.model.Proxy;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.List;
import org.junit.jupiter.api.Test;

class XdsAuthorizationTest {
  private static Proxy proxy(String ns, String sa) {
    Struct.Builder meta = Struct.newBuilder().putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build());
    if (!sa.isEmpty()) {
      meta.putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(sa).build());
    }
    return Proxy.fromNode(Node.newBuilder().setId("sidecar~10.0.0.1~pod." + ns + "~" + ns + ".svc.cluster.local")
        .setMetadata(meta).build());
  }

  @Test
  void anonymousCaller_isNotChecked() {
    assertThatCode(() -> XdsAuthorization.check(proxy("default", "sleep"), List.of())).doesNotThrowAnyException();
  }

  @Test
  void callerOfTheProxysOwnIdentity_isAllowed() {
    assertThatCode(() -> XdsAuthorization.check(proxy("default", "sleep"),
        List.of("spiffe://cluster.local/ns/default/sa/sleep"))).doesNotThrowAnyException();
    assertThatCode(() -> XdsAuthorization.check(proxy("default", ""),
        List.of("spiffe://cluster.local/ns/default/sa/anything"))).doesNotThrowAnyException();
  }

  @Test
  void callerClaimingAnotherNamespaceOrAccount_isDenied() {
    assertThatThrownBy(() -> XdsAuthorization.check(proxy("prod", "db"),
        List.of("spiffe://cluster.local/ns/default/sa/db")))
        .isInstanceOf(StatusException.class)
        .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((StatusException) e).getStatus().getCode())
            .isEqualTo(Status.Code.PERMISSION_DENIED))
        .hasMessageContaining("authorization failed");
    assertThatThrownBy(() -> XdsAuthorization.check(proxy("default", "db"),
        List.of("spiffe://cluster.local/ns/default/sa/sleep")))
        .hasMessageContaining("authorization failed");
  }
}
