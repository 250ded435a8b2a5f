package dev.istiod.xds.core.security;

import dev.istiod.model.Proxy;
import dev.istiod.xds.core.EnvoyNames;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;

/**
 * The workload certificate ({@code default}) and trust bundle ({@code ROOTCA}) that pilot-agent
 * serves its Envoy over SDS, on the bootstrap cluster {@code sds-grpc} (ISTIO-COMPAT §4), and
 * which proxies have them.
 *
 * <p>Upstream istiod assumes every Envoy was bootstrapped by pilot-agent. This istiod also serves
 * bare upstream Envoys (tests, development) whose bootstraps have no {@code sds-grpc} cluster: an
 * SDS reference to it would leave their clusters and listeners warming forever (and
 * {@code envoy --mode validate} rejects it outright). So Istio mTLS is generated only for
 * proxies whose node metadata carries {@code PROXY_CONFIG}: pilot-agent always writes it into the
 * bootstrap it renders (its {@code GetNodeMetaData}), and that same bootstrap always defines
 * {@code sds-grpc}. {@code ISTIO_VERSION} does not tell them apart: hand-written bootstraps send it
 * too.
 */
public final class AgentSds {
  /** Node metadata key only pilot-agent's rendered bootstraps are known to carry. */
  public static final String AGENT_METADATA_KEY = "PROXY_CONFIG";

  private static final SdsSecretConfig WORKLOAD_CERTIFICATE = secret(EnvoyNames.SDS_WORKLOAD_CERTIFICATE);
  private static final SdsSecretConfig ROOT_CA = secret(EnvoyNames.SDS_ROOT_CA);

  private AgentSds() {}

  /** True when the proxy's Envoy can fetch {@code default} and {@code ROOTCA} from its agent. */
  public static boolean available(Proxy proxy) {
    return proxy.metadata().raw().getFieldsMap().containsKey(AGENT_METADATA_KEY);
  }

  /** {@code default}: the workload's key and certificate chain. */
  public static SdsSecretConfig workloadCertificate() {
    return WORKLOAD_CERTIFICATE;
  }

  /** {@code ROOTCA}: the mesh trust bundle peers are verified against. */
  public static SdsSecretConfig rootCa() {
    return ROOT_CA;
  }

  /**
   * Upstream's {@code ConstructSdsSecretConfig}: gRPC to {@code sds-grpc}, node on the first
   * message only, and a zero initial fetch timeout (wait for the agent rather than time out).
   */
  private static SdsSecretConfig secret(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ConfigSource.newBuilder()
        .setApiConfigSource(ApiConfigSource.newBuilder()
            .setApiType(ApiConfigSource.ApiType.GRPC)
            .setSetNodeOnFirstMessageOnly(true)
            .setTransportApiVersion(ApiVersion.V3)
            .addGrpcServices(GrpcService.newBuilder().setEnvoyGrpc(
                GrpcService.EnvoyGrpc.newBuilder().setClusterName(EnvoyNames.SDS_AGENT_CLUSTER))))
        .setResourceApiVersion(ApiVersion.V3)
        .setInitialFetchTimeout(com.google.protobuf.Duration.getDefaultInstance()))
        .build();
  }
}
