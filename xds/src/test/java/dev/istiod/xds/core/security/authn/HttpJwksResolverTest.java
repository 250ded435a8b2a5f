package dev.istiod.xds.core.security.authn;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JWKS resolver against a local HTTPS server whose certificate only the test's client trusts. */
class HttpJwksResolverTest {
  /** A 2048-bit RSA public modulus (its private key was discarded). */
  static final String N = "rVIuzAUcBeyM8sRWm78t5E6-NW4UWbcSJAAxQIhESeMB6kcRVg0gbUprSvt_Why3mYqyJvzL2srNlnVDIc7Ux_kZ4WGGVIVFZ72vi7bL-_P4uZ_rHL5X2Zxgw3CJGC7b-8mc_qUQVFboJpV4egDhCNBHY66Omktfu2GmTOUGsyraJ1reanPQ"
      + "yKtasl7N4dDYYxui14FZff0UYDSmKyUUsUuNCA3_DZpc6DxR8jQIqicpGyoSrcnqwvLOBa7petX8PvpUyZVnhSZMqxm0oFymmUYEOeWM34ZMYDVVUJelW7b_w7giMjisuwraXzVGWFky6ZWTbEr62JYbbVZ6WHaMow";
  static final String KEYS_V1 = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"v1\",\"e\":\"AQAB\",\"n\":\"" + N + "\"}]}";
  static final String KEYS_V2 = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"v2\",\"e\":\"AQAB\",\"n\":\"" + N + "\"}]}";

  @TempDir
  static Path dir;
  static SSLContext tls;

  private HttpsServer server;
  /** Path to (status, body) the server answers; a missing path is 404. */
  private final Map<String, String[]> answers = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final TestClock clock = new TestClock();
  private final AtomicInteger pushes = new AtomicInteger();
  private HttpJwksResolver resolver;

  @BeforeAll
  static void certificate() throws Exception {
    Path ks = dir.resolve("server.p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=localhost",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(ks.toFile())) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
  }

  @BeforeEach
  void start() throws IOException {
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/", exchange -> {
      requests.incrementAndGet();
      String[] answer = answers.getOrDefault(exchange.getRequestURI().getPath(), new String[] {"404", "not found"});
      byte[] body = answer[1].replace("BASE", base()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(Integer.parseInt(answer[0]), body.length);
      try (var out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
    resolver = new HttpJwksResolver(new HttpJwksResolver.Options(() -> client, Duration.ofSeconds(5), Duration.ofMinutes(20),
        Duration.ofDays(7), clock), pushes::incrementAndGet);
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String base() {
    return "https://localhost:" + server.getAddress().getPort();
  }

  @Test
  void jwksUri_isFetchedOverHttpsOnce_thenServedFromCache() {
    answers.put("/jwks.json", new String[] {"200", KEYS_V1});

    assertThat(resolver.jwks("issuer", base() + "/jwks.json")).contains(KEYS_V1);
    assertThat(resolver.jwks("issuer", base() + "/jwks.json")).contains(KEYS_V1);
    assertThat(requests).hasValue(1);
  }

  @Test
  void issuerOnly_findsTheJwksUriThroughOpenIdDiscovery() {
    answers.put("/.well-known/openid-configuration", new String[] {"200", "{\"jwks_uri\":\"BASE/keys\"}"});
    answers.put("/keys", new String[] {"200", KEYS_V1});

    assertThat(resolver.jwks(base(), "")).contains(KEYS_V1);
  }

  @Test
  void failedOrNonJwksAnswers_resolveNothing_andARefreshThatSucceedsPushes() {
    answers.put("/login", new String[] {"200", "<html>sign in</html>"});
    // Upstream's fake key set: a modulus Envoy cannot use, which would make it refuse the whole listener.
    answers.put("/bad-key", new String[] {"200", "{\"keys\":[{\"e\":\"AQAB\",\"kid\":\"abc\",\"kty\":\"RSA\","
        + "\"n\":\"RXJyb3ItSXN0aW9kRmFpbGVkVG9GZXRjaEp3a3NVcmk\"}]}"});
    answers.put("/no-keys", new String[] {"200", "{\"keys\":[]}"});
    assertThat(resolver.jwks("issuer", base() + "/jwks.json")).as("404").isEmpty();
    assertThat(resolver.jwks("issuer", base() + "/login")).as("not JSON").isEmpty();
    assertThat(resolver.jwks("issuer", base() + "/bad-key")).as("a key Envoy rejects").isEmpty();
    assertThat(resolver.jwks("issuer", base() + "/no-keys")).as("no keys").isEmpty();
    assertThat(resolver.jwks("issuer", "ftp://example.com/keys")).as("not HTTP").isEmpty();
    assertThat(resolver.jwks("issuer", "https://127.0.0.1:1/keys")).as("nothing listening").isEmpty();
    assertThat(pushes).hasValue(0);

    answers.put("/jwks.json", new String[] {"200", KEYS_V1});
    resolver.refresh(); // failed entries are retried at once, without waiting for the refresh interval

    assertThat(resolver.jwks("issuer", base() + "/jwks.json")).contains(KEYS_V1);
    assertThat(pushes).hasValue(1);
  }

  @Test
  void rotatedKeys_arePickedUpAfterTheRefreshInterval_andPushed_whileAFailedRefreshKeepsTheLastKeys() {
    String uri = base() + "/jwks.json";
    answers.put("/jwks.json", new String[] {"200", KEYS_V1});
    assertThat(resolver.jwks("issuer", uri)).contains(KEYS_V1);
    answers.put("/jwks.json", new String[] {"200", KEYS_V2});

    clock.advance(Duration.ofMinutes(19));
    resolver.refresh();
    assertThat(resolver.jwks("issuer", uri)).as("not stale yet").contains(KEYS_V1);

    clock.advance(Duration.ofMinutes(2));
    resolver.refresh();
    assertThat(resolver.jwks("issuer", uri)).contains(KEYS_V2);
    assertThat(pushes).hasValue(1);

    answers.put("/jwks.json", new String[] {"503", "down"});
    clock.advance(Duration.ofMinutes(21));
    resolver.refresh();
    assertThat(resolver.jwks("issuer", uri)).as("last good keys").contains(KEYS_V2);
    assertThat(pushes).hasValue(1);
  }

  @Test
  void entriesUnusedForTheEvictionPeriod_areDropped_andFetchedAgainOnNextUse() {
    String uri = base() + "/jwks.json";
    answers.put("/jwks.json", new String[] {"200", KEYS_V1});
    resolver.jwks("issuer", uri);

    clock.advance(Duration.ofDays(7));
    resolver.refresh();
    assertThat(requests).as("an evicted entry is not refreshed").hasValue(1);

    resolver.jwks("issuer", uri);
    assertThat(requests).hasValue(2);
  }

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
