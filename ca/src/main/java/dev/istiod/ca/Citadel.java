package dev.istiod.ca;

import dev.istiod.ca.auth.Authenticator;
import dev.istiod.ca.auth.Authenticators;
import dev.istiod.ca.auth.ClientCertAuthenticator;
import dev.istiod.ca.auth.KubeJwtAuthenticator;
import dev.istiod.ca.auth.NodeAuthorizer;
import dev.istiod.ca.auth.PodNodeAuthorizer;
import dev.istiod.ca.distribution.RootCertPublisher;
import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.server.CaMetrics;
import dev.istiod.ca.server.CaServer;
import dev.istiod.ca.tls.SecureGrpcServer;
import dev.istiod.ca.tls.ServingCertificate;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.netty.NettyServerBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Citadel wired together, in one linear start-up (upstream's createIstioCA + initCAServer +
 * namespace controller), for istiod to call:
 * <ol>
 *   <li>the CA bundle: a complete plugged CA in {@code ROOT_CA_DIR} (watched), else the
 *       self-signed root from {@code istio-ca-secret} (or the local directory without a cluster),
 *       created once;
 *   <li>the signer ({@link IstioCa}) and, for a self-signed root, its rotator;
 *   <li>the caller authenticators (client certificate, then Kubernetes token) and the node
 *       authorizer for impersonation;
 *   <li>the gRPC service ({@link #service()}) and its metrics;
 * </ol>
 * In a cluster, the {@code istio-ca-root-cert} publisher (upstream's namespace controller) is a
 * singleton across istiod replicas: istiod starts it with {@link #startRootCertPublisher()} only
 * while it holds the namespace-controller lease, and stops it when the lease is lost.
 * istiod's serving certificate is separate ({@link #startServingCertificate}) because it depends
 * on {@code PILOT_CERT_PROVIDER} and the mesh config. Background work (rotation checks, plugged-CA
 * polling, ConfigMap writes, serving-cert renewal) runs on one daemon thread owned here.
 */
public final class Citadel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Citadel.class);

  private final CaOptions options;
  private final IstioCa ca;
  private final Authenticators authenticators;
  private final CaServer service;
  private final ScheduledExecutorService executor;
  private final KubernetesClient kube;
  private final boolean selfSigned;
  private final List<AutoCloseable> closeables;
  // The running publisher while istiod leads the namespace controller election; null otherwise.
  private final AtomicReference<RootCertPublisher> publisher = new AtomicReference<>();

  private Citadel(CaOptions options, IstioCa ca, Authenticators authenticators, CaServer service,
      ScheduledExecutorService executor, KubernetesClient kube, boolean selfSigned, List<AutoCloseable> closeables) {
    this.options = options;
    this.ca = ca;
    this.authenticators = authenticators;
    this.service = service;
    this.executor = executor;
    this.kube = kube;
    this.selfSigned = selfSigned;
    this.closeables = closeables;
  }

  /**
   * Starts the CA. Blocks while the root store is unreachable (up to {@code storeRetryFor}).
   *
   * @param kube the local cluster, or null to run without one (root in {@code localRootDir}, no
   *     token authentication, no ConfigMap publishing)
   * @param trustDomain the mesh config's {@code trustDomain}, read whenever an identity is built
   * @throws IllegalStateException when {@code ROOT_CA_DIR} holds an incomplete plugged CA
   */
  public static Citadel start(CaOptions options, KubernetesClient kube, Supplier<String> trustDomain,
      PrometheusRegistry registry, Clock clock) throws IOException, InterruptedException {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(trustDomain, "trustDomain");
    List<AutoCloseable> closeables = new ArrayList<>();
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "citadel");
      t.setDaemon(true);
      return t;
    });
    closeables.add(executor::shutdownNow);
    try {
      Optional<PluggedCa> plugged = PluggedCa.detect(options.rootCaDir());
      IstioCa ca;
      if (plugged.isPresent()) {
        log.info("using the plugged CA in {}", options.rootCaDir());
        KeyCertBundle bundle = plugged.get().load(clock.instant());
        ca = new IstioCa(bundle, options.defaultWorkloadCertTtl(), options.maxWorkloadCertTtl(), clock);
        PluggedCaWatcher watcher = new PluggedCaWatcher(ca, plugged.get(), clock);
        watcher.start(executor, options.pluggedCaPollInterval());
        closeables.add(watcher);
      } else {
        CaRootStore store = kube != null ? new KubeCaRootStore(kube, options.namespace())
            : new DirectoryCaRootStore(options.localRootDir());
        SelfSignedRoot.RootSpec spec = new SelfSignedRoot.RootSpec(trustDomain.get(), options.selfSignedCaCertTtl(),
            options.selfSignedKeyType(), options.rsaKeySize());
        KeyCertBundle bundle = SelfSignedRoot.loadOrCreate(store, spec, clock, options.storeRetryFor(),
            Duration.ofSeconds(5));
        ca = new IstioCa(bundle, options.defaultWorkloadCertTtl(), options.maxWorkloadCertTtl(), clock);
        startRotator(options, ca, store, spec, clock, executor, closeables);
      }

      List<Authenticator> list = new ArrayList<>();
      list.add(new ClientCertAuthenticator());
      Optional<NodeAuthorizer> nodeAuthorizer = Optional.empty();
      if (kube != null) {
        list.add(new KubeJwtAuthenticator(kube, options.clusterId(), options.tokenAudiences(), trustDomain));
        if (!options.trustedNodeAccounts().isEmpty()) {
          PodNodeAuthorizer authorizer = new PodNodeAuthorizer(kube, options.trustedNodeAccounts());
          closeables.add(authorizer);
          nodeAuthorizer = Optional.of(authorizer);
        }
      }
      Authenticators authenticators = new Authenticators(list);
      CaServer service = new CaServer(ca, authenticators, nodeAuthorizer, new CaMetrics(registry, ca));

      Citadel citadel = new Citadel(options, ca, authenticators, service, executor, kube, plugged.isEmpty(),
          closeables);
      ca.onBundleChange(b -> citadel.rootCertPublisher().ifPresent(RootCertPublisher::rootsChanged));
      return citadel;
    } catch (IOException | InterruptedException | RuntimeException e) {
      closeAll(closeables);
      throw e;
    }
  }

  private static void startRotator(CaOptions options, IstioCa ca, CaRootStore store, SelfSignedRoot.RootSpec spec,
      Clock clock, ScheduledExecutorService executor, List<AutoCloseable> closeables) {
    Duration interval = options.rootCertCheckInterval();
    if (interval.isNegative() || interval.isZero()) {
      log.info("self-signed root rotation is disabled (CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL={})", interval);
      return;
    }
    RootCertRotator rotator = new RootCertRotator(ca, store, spec, options.rootCertGracePercentile(), clock);
    Duration jitter = options.rotatorJitter()
        ? Duration.ofSeconds(ThreadLocalRandom.current().nextLong(Math.max(1, interval.toSeconds())))
        : interval;
    rotator.start(executor, jitter, interval);
    closeables.add(rotator);
  }

  /** The signer and its current bundle (roots for the 15012 trust manager, the webhook CA bundle). */
  public IstioCa ca() {
    return ca;
  }

  /** {@code IstioCertificateService}, to add to the 15012 server. */
  public CaServer service() {
    return service;
  }

  /** The caller authenticators, in upstream's order; secure xDS uses the same ones. */
  public Authenticators authenticators() {
    return authenticators;
  }

  /** True when the root is self-signed (and may rotate); false for a plugged CA. */
  public boolean selfSigned() {
    return selfSigned;
  }

  /** The ConfigMap publisher while one runs (see {@link #startRootCertPublisher()}). */
  public Optional<RootCertPublisher> rootCertPublisher() {
    return Optional.ofNullable(publisher.get());
  }

  /**
   * Starts publishing the trust bundle as the {@code istio-ca-root-cert} ConfigMap of every
   * namespace, refreshed on every bundle change, until the returned handle is closed. Each call
   * makes a fresh publisher with fresh informers, so istiod can stop it when it loses leadership
   * and start it again when it wins it back.
   *
   * @throws IllegalStateException without a cluster, or while a publisher already runs
   */
  public AutoCloseable startRootCertPublisher() {
    if (kube == null) {
      throw new IllegalStateException("no cluster: there are no namespaces to publish the root certificate to");
    }
    RootCertPublisher p = new RootCertPublisher(kube, options.rootCertConfigMap(), () -> ca.bundle().rootsPem(),
        executor);
    if (!publisher.compareAndSet(null, p)) {
      throw new IllegalStateException("the root certificate publisher is already running");
    }
    p.start();
    return () -> {
      publisher.compareAndSet(p, null);
      p.close();
    };
  }

  /**
   * Issues istiod's serving certificate for {@code dnsNames} and keeps it fresh; closed with this
   * object. TTL {@code CITADEL_SELF_SIGNED_CA_CERT_TTL}, as upstream.
   */
  public ServingCertificate startServingCertificate(List<String> dnsNames) throws CaException {
    ServingCertificate cert = new ServingCertificate(ca, dnsNames, options.selfSignedCaCertTtl(), 2048, executor);
    synchronized (closeables) {
      closeables.add(cert);
    }
    return cert;
  }

  /**
   * The 15012 server with istiod's TLS and the authentication interceptor; add ADS and
   * {@link #service()} to it, apply the gRPC limits, build and start.
   */
  public NettyServerBuilder secureServerBuilder(SocketAddress address, ServingCertificate servingCert,
      SecureGrpcServer.MinTlsVersion minTls, List<String> cipherSuites) throws SSLException {
    return SecureGrpcServer.builder(address, servingCert, () -> ca.bundle().roots(), minTls, cipherSuites);
  }

  @Override
  public void close() {
    RootCertPublisher running = publisher.getAndSet(null);
    if (running != null) {
      running.close();
    }
    synchronized (closeables) {
      closeAll(closeables);
    }
  }

  private static void closeAll(List<AutoCloseable> closeables) {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn("error while stopping {}: {}", closeables.get(i).getClass().getSimpleName(), e.toString());
      }
    }
    closeables.clear();
  }
}
