package dev.istiod.xds.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.Proxy;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ListenerNamesTest {
  private final Proxy proxy = TestProxies.grpcClient();

  @Test
  void parse_shortName_isIndexedUnderItsFqdnWithTheSpellingKept() {
    ListenerNames names = ListenerNames.parse(List.of("echo:7070"), proxy);

    ListenerNames.Requested r = names.lookup("echo.default.svc.cluster.local").orElseThrow();
    assertThat(r.spellings()).containsExactly("echo");
    assertThat(r.ports()).containsExactly(7070);
  }

  @Test
  void parse_namespaceQualifiedNames_expandOnlyForTheProxysNamespace() {
    ListenerNames names = ListenerNames.parse(List.of("echo.default:7070", "echo.default.svc:7070", "other.ns:80"), proxy);

    assertThat(names.lookup("echo.default.svc.cluster.local").orElseThrow().spellings())
        .containsExactlyInAnyOrder("echo.default", "echo.default.svc");
    assertThat(names.lookup("other.ns.svc.cluster.local")).isEmpty();
    assertThat(names.lookup("other.ns")).isPresent();
  }

  @Test
  void parse_nameWithoutPort_meansEveryPort_evenIfAnotherRequestNamedOne() {
    ListenerNames names = ListenerNames.parse(
        List.of("echo.default.svc.cluster.local:7070", "echo.default.svc.cluster.local"), proxy);

    ListenerNames.Requested r = names.lookup("echo.default.svc.cluster.local").orElseThrow();
    assertThat(r.includesPort(7070)).isTrue();
    assertThat(r.includesPort(8080)).isTrue();
  }

  @Test
  void parse_serverListenerNames_areKeptApart() {
    ListenerNames names = ListenerNames.parse(List.of("xds.istio.io/grpc/lds/inbound/0.0.0.0:7070"), proxy);

    assertThat(names.inbound()).containsExactly("xds.istio.io/grpc/lds/inbound/0.0.0.0:7070");
    assertThat(names.byHost()).isEmpty();
  }

  @Test
  void parse_noNames_isWildcard_namedByFqdn() {
    ListenerNames names = ListenerNames.parse(Set.of(), proxy);

    assertThat(names.wildcard()).isTrue();
    assertThat(names.lookup("a.b.svc.cluster.local").orElseThrow().spellings()).containsExactly("a.b.svc.cluster.local");
  }

  @Test
  void hostPort_splitsAndJoinsLikeGo() {
    assertThat(HostPort.parse("echo:7070")).contains(new HostPort("echo", 7070));
    assertThat(HostPort.parse("[::1]:80")).contains(new HostPort("::1", 80));
    assertThat(HostPort.parse("::1")).isEmpty();
    assertThat(HostPort.parse("echo")).isEmpty();
    assertThat(HostPort.parse("echo:http")).isEmpty();
    assertThat(HostPort.join("::1", 80)).isEqualTo("[::1]:80");
  }
}
