package dev.istiod.xds.core.security.authn;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.model.JwksResolver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the JWKS of RequestAuthentication rules that give a {@code jwksUri} (or only an issuer:
 * then its OpenID discovery document names the URI), as upstream's {@code JwksResolver}, so that
 * istiod inlines the keys and proxies need no route to the issuer.
 *
 * <p>Design: the first lookup of a key fetches once, synchronously, without retry (it runs while
 * listeners are generated, so it must not stall a push for long: one {@code timeout} per request).
 * The outcome, success or failure, is cached; a failed entry answers empty (the caller then inlines
 * the "fail all" key set) until {@link #refresh()} fetches it again. {@link #refresh()} re-fetches
 * entries that failed, or that were fetched longer than {@code refreshInterval} ago, evicts entries
 * unused for {@code evictAfter}, and calls {@code onChange} once when any key set changed so that a
 * push delivers it. Whoever owns the resolver schedules {@link #refresh()} (every minute, say);
 * lookups and refreshes may run concurrently: entries are immutable values in a concurrent map.
 * Key material is never logged, only URIs and status codes.
 */
public final class HttpJwksResolver implements JwksResolver {
  private static final Logger log = LoggerFactory.getLogger(HttpJwksResolver.class);
  static final String OPENID_DISCOVERY_SUFFIX = "/.well-known/openid-configuration";
  /** Upstream's defaults: 5 s per request, keys refreshed every 20 minutes, kept a week unused. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(20);
  public static final Duration DEFAULT_EVICT_AFTER = Duration.ofDays(7);

  /**
   * What a resolver fetches with and how often; an options record rather than six parameters.
   *
   * @param client asked for the HTTP client at each fetch (see {@link #defaults()})
   */
  public record Options(Supplier<HttpClient> client, Duration timeout, Duration refreshInterval, Duration evictAfter,
      Clock clock) {
    public Options {
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(refreshInterval, "refreshInterval");
      Objects.requireNonNull(evictAfter, "evictAfter");
      Objects.requireNonNull(clock, "clock");
    }

    /**
     * The JDK's default trust store and upstream's intervals. The client is made at the first fetch:
     * building one sets up TLS with the JDK's trust store (a few hundred milliseconds of a cold
     * start), which most meshes, without a jwksUri, never need.
     */
    public static Options defaults() {
      return new Options(new LazyClient(), DEFAULT_TIMEOUT, DEFAULT_REFRESH_INTERVAL, DEFAULT_EVICT_AFTER,
          Clock.systemUTC());
    }
  }

  /** The default client, built once on first use. */
  private static final class LazyClient implements Supplier<HttpClient> {
    private volatile HttpClient client;

    @Override
    public HttpClient get() {
      HttpClient c = client;
      if (c == null) {
        synchronized (this) {
          c = client;
          if (c == null) {
            c = HttpClient.newBuilder().connectTimeout(DEFAULT_TIMEOUT).followRedirects(HttpClient.Redirect.NORMAL)
                .build();
            client = c;
          }
        }
      }
      return c;
    }
  }

  private record Key(String issuer, String jwksUri) {}

  /** One cached fetch; {@code jwks} is null when the last fetch failed and nothing was fetched before. */
  private record Entry(String jwks, Instant fetchedAt, Instant lastUsed, boolean lastFetchFailed) {}

  private final Options options;
  private final Runnable onChange;
  private final Map<Key, Entry> entries = new ConcurrentHashMap<>();

  /** @param onChange called (from {@link #refresh()}) when a refresh changed some key set */
  public HttpJwksResolver(Options options, Runnable onChange) {
    this.options = Objects.requireNonNull(options, "options");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
  }

  @Override
  public Optional<String> jwks(String issuer, String jwksUri) {
    Key key = new Key(issuer == null ? "" : issuer, jwksUri == null ? "" : jwksUri);
    Instant now = options.clock().instant();
    Entry e = entries.compute(key, (k, old) -> old == null ? null
        : new Entry(old.jwks(), old.fetchedAt(), now, old.lastFetchFailed()));
    if (e == null) {
      Optional<String> fetched = fetch(key);
      e = new Entry(fetched.orElse(null), now, now, fetched.isEmpty());
      entries.put(key, e);
    }
    return Optional.ofNullable(e.jwks());
  }

  /** Re-fetches failed and stale entries and evicts unused ones; see the class comment. */
  public void refresh() {
    Instant now = options.clock().instant();
    boolean changed = false;
    for (Map.Entry<Key, Entry> me : entries.entrySet()) {
      Key key = me.getKey();
      Entry e = me.getValue();
      if (!e.lastUsed().plus(options.evictAfter()).isAfter(now)) {
        entries.remove(key, e);
        log.info("Evicted unused JWKS of issuer {} ({})", key.issuer(), key.jwksUri());
        continue;
      }
      boolean due = e.jwks() == null || e.lastFetchFailed()
          || !e.fetchedAt().plus(options.refreshInterval()).isAfter(now);
      if (!due) {
        continue;
      }
      Optional<String> fetched = fetch(key);
      if (fetched.isPresent()) {
        changed |= !fetched.get().equals(e.jwks());
        entries.replace(key, e, new Entry(fetched.get(), now, e.lastUsed(), false));
      } else {
        // Keep serving the last good keys (if any), as upstream, and try again next time.
        entries.replace(key, e, new Entry(e.jwks(), e.fetchedAt(), e.lastUsed(), true));
      }
    }
    if (changed) {
      log.info("JWKS changed; pushing the new keys to proxies");
      onChange.run();
    }
  }

  private Optional<String> fetch(Key key) {
    String uri = key.jwksUri();
    try {
      if (uri.isEmpty()) {
        uri = discover(key.issuer());
      }
      String body = get(uri);
      Optional<String> problem = JwksDocuments.problem(json(body));
      if (problem.isPresent()) {
        throw new IOException("the response is not a JWKS document Envoy accepts: " + problem.get());
      }
      return Optional.of(body);
    } catch (IOException | IllegalArgumentException e) {
      log.warn("Failed to fetch the JWKS of issuer {} from {}: {}; tokens of this issuer are refused until it "
          + "succeeds", key.issuer(), uri.isEmpty() ? "(OpenID discovery)" : uri, e.getMessage());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The {@code jwks_uri} of the issuer's OpenID discovery document. */
  private String discover(String issuer) throws IOException, InterruptedException {
    if (issuer.isEmpty()) {
      throw new IOException("the rule has neither jwks, jwksUri nor issuer");
    }
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    Value jwksUri = json(get(base + OPENID_DISCOVERY_SUFFIX)).getFieldsOrDefault("jwks_uri",
        Value.getDefaultInstance());
    if (jwksUri.getStringValue().isEmpty()) {
      throw new IOException("the OpenID discovery document of " + issuer + " has no jwks_uri");
    }
    return jwksUri.getStringValue();
  }

  /** A JSON object; anything else (an array, HTML from a login page) is an error. */
  private static Struct json(String body) throws IOException {
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(body, b);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("the response is not a JSON object", e);
    }
    return b.build();
  }

  private String get(String uri) throws IOException, InterruptedException {
    URI u = URI.create(uri);
    if (!"https".equalsIgnoreCase(u.getScheme()) && !"http".equalsIgnoreCase(u.getScheme())) {
      throw new IOException("unsupported scheme in " + uri);
    }
    HttpResponse<String> resp = options.client().get().send(
        HttpRequest.newBuilder(u).timeout(options.timeout()).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() / 100 != 2) {
      throw new IOException("status " + resp.statusCode());
    }
    return resp.body();
  }
}
