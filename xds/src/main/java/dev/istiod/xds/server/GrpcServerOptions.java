package dev.istiod.xds.server;

import io.grpc.netty.NettyServerBuilder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server settings upstream istiod uses for its xDS ports (ISTIO-COMPAT §1), so the
 * istiod module builds its Netty servers the same way.
 *
 * @param maxConcurrentStreams {@code ISTIO_GPRC_MAXSTREAMS}, default 100000
 * @param maxRecvMsgSize {@code ISTIO_GPRC_MAXRECVMSGSIZE}, default 4 MiB
 * @param keepaliveTime {@code GRPC_KEEPALIVE_INTERVAL}, default 30 s; clients may ping every
 *     half of it
 * @param keepaliveTimeout {@code GRPC_KEEPALIVE_TIMEOUT}, default 10 s
 * @param maxConnectionAge {@code --keepaliveMaxServerConnectionAge}; null means unlimited
 * @param maxConnectionAgeGrace default 10 s
 */
public record GrpcServerOptions(
    int maxConcurrentStreams,
    int maxRecvMsgSize,
    Duration keepaliveTime,
    Duration keepaliveTimeout,
    Duration maxConnectionAge,
    Duration maxConnectionAgeGrace) {

  public GrpcServerOptions {
    if (maxConcurrentStreams <= 0 || maxRecvMsgSize <= 0) {
      throw new IllegalArgumentException("maxConcurrentStreams and maxRecvMsgSize must be positive");
    }
    Objects.requireNonNull(keepaliveTime, "keepaliveTime");
    Objects.requireNonNull(keepaliveTimeout, "keepaliveTimeout");
    Objects.requireNonNull(maxConnectionAgeGrace, "maxConnectionAgeGrace");
  }

  public static GrpcServerOptions defaults() {
    return new GrpcServerOptions(100_000, 4 * 1024 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(10),
        null, Duration.ofSeconds(10));
  }

  public GrpcServerOptions withMaxConnectionAge(Duration age) {
    return new GrpcServerOptions(maxConcurrentStreams, maxRecvMsgSize, keepaliveTime, keepaliveTimeout, age,
        maxConnectionAgeGrace);
  }

  /** Applies these settings to a Netty server builder and returns it. */
  public NettyServerBuilder applyTo(NettyServerBuilder builder) {
    builder.maxConcurrentCallsPerConnection(maxConcurrentStreams)
        .maxInboundMessageSize(maxRecvMsgSize)
        .keepAliveTime(keepaliveTime.toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(keepaliveTimeout.toNanos(), TimeUnit.NANOSECONDS)
        // Upstream's enforcement policy: clients may ping every Time/2; stricter would GOAWAY them.
        .permitKeepAliveTime(keepaliveTime.toNanos() / 2, TimeUnit.NANOSECONDS)
        .maxConnectionAgeGrace(maxConnectionAgeGrace.toNanos(), TimeUnit.NANOSECONDS);
    if (maxConnectionAge != null && !maxConnectionAge.isZero()) {
      builder.maxConnectionAge(maxConnectionAge.toNanos(), TimeUnit.NANOSECONDS);
    }
    return builder;
  }
}
