package dev.istiod.main;

import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The Netty event loops of istiod's gRPC servers (15010 and 15012), the same shape grpc-java uses by
 * default (one acceptor thread, two I/O threads per core, NIO): grpc-java insists on owning neither
 * when a server runs on a channel it did not open, and {@link BoundPorts} opens them.
 */
final class GrpcEventLoops implements AutoCloseable {
  private final EventLoopGroup boss =
      new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("grpc-nio-boss", true), NioIoHandler.newFactory());
  private final EventLoopGroup worker =
      new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("grpc-nio-worker", true), NioIoHandler.newFactory());

  /** {@code builder} serving on the already-bound socket of {@code channel}, on these loops. */
  NettyServerBuilder serveOn(NettyServerBuilder builder, ChannelFactory<ServerChannel> channel) {
    return builder.channelFactory(channel).bossEventLoopGroup(boss).workerEventLoopGroup(worker);
  }

  /** Call after the servers have terminated. */
  @Override
  public void close() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    worker.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
