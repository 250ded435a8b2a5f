package dev.istiod.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.xds.core.listener.ListenerValidator;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AcceptedContentTest {
  /** A check that counts its calls and finds a problem in listeners named "bad-…". */
  private final AtomicInteger checks = new AtomicInteger();
  private final Function<Listener, List<String>> check = l -> {
    checks.incrementAndGet();
    return l.getName().startsWith("bad-") ? List.of("named bad") : List.of();
  };

  private static Listener listener(String name, int port) {
    return Listener.newBuilder().setName(name).setAddress(io.envoyproxy.envoy.config.core.v3.Address.newBuilder()
        .setSocketAddress(io.envoyproxy.envoy.config.core.v3.SocketAddress.newBuilder().setAddress("0.0.0.0")
            .setPortValue(port))).build();
  }

  @Test
  void sameContentBuiltAgain_isCheckedOnce() {
    String name = "ok-" + System.nanoTime();
    assertThat(AcceptedContent.problems(listener(name, 80), check)).isEmpty();
    assertThat(AcceptedContent.problems(listener(name, 80), check)).isEmpty();
    assertThat(checks).hasValue(1);
  }

  @Test
  void differentContent_isCheckedAgain() {
    String name = "ok-" + System.nanoTime();
    AcceptedContent.problems(listener(name, 80), check);
    AcceptedContent.problems(listener(name, 81), check);
    assertThat(checks).hasValue(2);
  }

  @Test
  void contentWithProblems_isReportedEveryTime() {
    String name = "bad-" + System.nanoTime();
    assertThat(AcceptedContent.problems(listener(name, 80), check)).containsExactly("named bad");
    assertThat(AcceptedContent.problems(listener(name, 80), check)).containsExactly("named bad");
    assertThat(checks).hasValue(2);
  }

  @Test
  void realValidator_stillRejectsAListenerWithoutFilterChains_afterAnAcceptedOne() {
    Listener accepted = listener("first", 80).toBuilder()
        .addFilterChains(io.envoyproxy.envoy.config.listener.v3.FilterChain.newBuilder()
            .addFilters(io.envoyproxy.envoy.config.listener.v3.Filter.newBuilder()
                .setName("envoy.filters.network.tcp_proxy")
                .setTypedConfig(com.google.protobuf.Any.pack(
                    io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.newBuilder()
                        .setStatPrefix("x").setCluster("c").build()))))
        .build();
    assertThat(ListenerValidator.problems(accepted)).isEmpty();
    assertThat(ListenerValidator.problems(accepted)).isEmpty();
    Listener empty = listener("first", 80);
    assertThat(ListenerValidator.problems(empty)).contains("no filter chains");
    assertThat(ListenerValidator.problems(empty)).contains("no filter chains");
  }
}
