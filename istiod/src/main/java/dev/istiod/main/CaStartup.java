package dev.istiod.main;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.ca.CaException;
import dev.istiod.ca.CaOptions;
import dev.istiod.ca.Citadel;
import dev.istiod.ca.auth.NodeAuthorizer;
import dev.istiod.ca.tls.IstiodDnsNames;
import dev.istiod.ca.tls.SecureGrpcServer;
import dev.istiod.ca.tls.ServingCertificate;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.netty.NettyServerBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Citadel's start-up, run on its own thread while the main thread loads config and builds the
 * discovery server: loading (or, the first time, creating) the root, generating istiod's serving
 * key and certificate, and setting up TLS for 15012 are seconds of CPU in a cold JVM and need
 * nothing from the config sources. Upstream makes them before it serves anything; here /ready does
 * not wait for them (it says the config caches have synced, as upstream's does), so 15012 and the
 * webhooks may start serving shortly after /ready. Their ports are bound from the start, so a
 * client that connects in between waits in the backlog rather than being refused.
 *
 * @param citadel the CA
 * @param servingCert istiod's own certificate, or null when {@code PILOT_CERT_PROVIDER} is not
 *     istiod (then 15012 and the webhooks are off)
 * @param secureGrpc the 15012 server with its TLS set up, services not yet added; null with
 *     servingCert
 */
record CaStartup(Citadel citadel, ServingCertificate servingCert, NettyServerBuilder secureGrpc)
    implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("istiod");

  /** Starts the CA on a new thread; null when this istiod runs no CA. */
  static CompletableFuture<CaStartup> startAsync(IstiodOptions options, KubernetesClient kube,
      Supplier<MeshConfig> mesh, PrometheusRegistry metrics, InetSocketAddress secureGrpcAddress) {
    if (!enabled(options)) {
      return null;
    }
    CompletableFuture<CaStartup> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        result.complete(start(options, kube, mesh, metrics, secureGrpcAddress));
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }, "istiod-ca-start");
    thread.setDaemon(true);
    thread.start();
    return result;
  }

  /** True when istiod runs Citadel: a secure gRPC address and {@code ENABLE_CA_SERVER}. */
  static boolean enabled(IstiodOptions options) {
    return options.secureGrpcAddr() != null && options.features().enableCaServer();
  }

  /** Waits for {@code pending}, rethrowing its failure as start-up's. */
  static CaStartup await(CompletableFuture<CaStartup> pending) throws IOException {
    try {
      return pending.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting the CA", e);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("cannot start the CA: " + cause, cause);
    }
  }

  private static CaStartup start(IstiodOptions options, KubernetesClient kube, Supplier<MeshConfig> mesh,
      PrometheusRegistry metrics, InetSocketAddress secureGrpcAddress) throws IOException {
    Features f = options.features();
    Features.CaKnobs k = f.ca();
    CaOptions caOptions = CaOptions.builder()
        .namespace(f.podNamespace()).clusterId(options.clusterId())
        .selfSignedCaCertTtl(k.selfSignedCaCertTtl()).defaultWorkloadCertTtl(k.defaultWorkloadCertTtl())
        .maxWorkloadCertTtl(k.maxWorkloadCertTtl()).rootCertCheckInterval(k.rootCertCheckInterval())
        .rootCertGracePercentile(k.rootCertGracePercentile()).rotatorJitter(k.rotatorJitter())
        .rsaKeySize(k.rsaKeySize()).tokenAudiences(k.tokenAudiences())
        .trustedNodeAccounts(NodeAuthorizer.parseTrustedAccounts(k.trustedNodeAccounts()))
        .rootCaDir(Path.of(k.rootCaDir())).rootCertConfigMap(k.rootCertConfigMap()).localRootDir(Path.of(k.localCaDir()))
        .build();
    Citadel citadel;
    try {
      citadel = Citadel.start(caOptions, kube, () -> mesh.get().getTrustDomain(), metrics,
          java.time.Clock.systemUTC());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting the CA", e);
    }
    try {
      if (!"istiod".equals(f.pilotCertProvider())) {
        log.warn("PILOT_CERT_PROVIDER={} is not supported; the secure gRPC server (--secureGRPCAddr) is disabled",
            f.pilotCertProvider());
        return new CaStartup(citadel, null, null);
      }
      ServingCertificate servingCert = citadel.startServingCertificate(IstiodDnsNames.compute(f.podNamespace(),
          f.revision(), mesh.get().getDefaultConfig().getDiscoveryAddress(), f.istiodCustomHost()));
      NettyServerBuilder secureGrpc = citadel.secureServerBuilder(secureGrpcAddress, servingCert,
          SecureGrpcServer.MinTlsVersion.parse(options.tlsMinVersion()), options.tlsCipherSuites());
      return new CaStartup(citadel, servingCert, secureGrpc);
    } catch (CaException e) {
      citadel.close();
      throw new IOException("cannot start the CA: " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      citadel.close();
      throw e;
    }
  }

  @Override
  public void close() {
    citadel.close();
  }
}
