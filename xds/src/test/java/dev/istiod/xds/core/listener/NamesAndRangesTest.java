package dev.istiod.xds.core.listener;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sniffed route configuration names and CIDR normalisation, the two inputs of listener matching. */
class NamesAndRangesTest {
  @Test
  void sniffedRouteName_isHostAndPort_andSharedPortNamesAreNotSniffed() {
    assertThat(SniffedRoutes.parse("web.default.svc.cluster.local:8080"))
        .contains(new SniffedRoutes.Name("web.default.svc.cluster.local", 8080));
    assertThat(SniffedRoutes.parse("8080")).isEmpty();
    assertThat(SniffedRoutes.parse("unix:///var/run/app.sock")).isEmpty();
    assertThat(SniffedRoutes.parse("host:notaport")).isEmpty();
    assertThat(SniffedRoutes.parse("host:70000")).isEmpty();
  }

  @Test
  void cidrs_areComparedByTheirNetwork() {
    assertThat(Cidrs.masked("10.1.2.3/8")).contains("10.0.0.0/8");
    assertThat(Cidrs.masked("10.1.2.3")).contains("10.1.2.3/32");
    assertThat(Cidrs.masked("2001:db8::1/32")).contains("2001:db8:0:0:0:0:0:0/32");
    assertThat(Cidrs.masked("0.0.0.0/0").map(Cidrs::isUnspecified)).contains(true);
    assertThat(Cidrs.masked("db.example.com/24")).isEmpty();
    assertThat(Cidrs.masked("10.0.0.0/33")).isEmpty();
  }
}
