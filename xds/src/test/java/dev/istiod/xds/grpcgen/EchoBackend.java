package dev.istiod.xds.grpcgen;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.xds.XdsServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real gRPC server on 127.0.0.1 that answers one unary method with its own name, so a test can
 * tell which backend an RPC reached. The method is defined here with a string marshaller: no
 * generated stubs needed.
 */
final class EchoBackend implements AutoCloseable {

  static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("istiod.test.Echo", "Who"))
      .setRequestMarshaller(new Utf8Marshaller())
      .setResponseMarshaller(new Utf8Marshaller())
      .build();

  private final String name;
  private final Server server;

  private EchoBackend(String name, Server server) {
    this.name = name;
    this.server = server;
  }

  /** A plain gRPC server on an ephemeral port of 127.0.0.1. */
  static EchoBackend start(String name) throws IOException {
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service(name))
        .build()
        .start();
    return new EchoBackend(name, server);
  }

  /**
   * A proxyless gRPC server (grpc-java's {@link XdsServerBuilder}) on {@code address}: it serves
   * only once the control plane named in {@code bootstrap} sent it a valid server listener.
   */
  static EchoBackend startXds(String name, InetSocketAddress address, Map<String, ?> bootstrap,
      XdsServerBuilder.XdsServingStatusListener status) throws IOException {
    Server server = XdsServerBuilder.forAddress(address, InsecureServerCredentials.create())
        .overrideBootstrapForTest(bootstrap)
        .xdsServingStatusListener(status)
        .addService(service(name))
        .build()
        .start();
    return new EchoBackend(name, server);
  }

  private static ServerServiceDefinition service(String name) {
    return ServerServiceDefinition.builder("istiod.test.Echo")
        .addMethod(WHO, ServerCalls.asyncUnaryCall((request, response) -> {
          response.onNext(name);
          response.onCompleted();
        }))
        .build();
  }

  String name() {
    return name;
  }

  int port() {
    return server.getPort();
  }

  /** Calls {@link #WHO} on {@code channel} with the given request headers; returns the backend's name. */
  static String who(Channel channel, Map<String, String> headers) {
    Metadata md = new Metadata();
    headers.forEach((k, v) -> md.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
    Channel withHeaders = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
    return ClientCalls.blockingUnaryCall(withHeaders, WHO,
        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "who?");
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Utf8Marshaller implements MethodDescriptor.Marshaller<String> {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
