package dev.istiod.xds.server;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Hands responses to gRPC only while the stream is ready (HTTP/2 flow control has room), and
 * keeps the rest in a backlog until gRPC's on-ready callback fires. A proxy that stops reading
 * therefore holds at most the responses of its one in-flight push, never an unbounded buffer
 * inside gRPC. Confined to the connection's serial executor.
 */
final class ResponseSender<T> {
  private record Entry<T>(T message, CompletableFuture<Void> handedOver) {}

  private final ServerCallStreamObserver<T> observer;
  private final ArrayDeque<Entry<T>> backlog = new ArrayDeque<>();
  private boolean closed;

  ResponseSender(ServerCallStreamObserver<T> observer) {
    this.observer = observer;
  }

  /**
   * Queues a response. The future completes once the response was handed to gRPC, or when the
   * stream closed before that (a closed stream has nothing left to wait for).
   */
  CompletableFuture<Void> send(T message) {
    if (closed) {
      return CompletableFuture.completedFuture(null);
    }
    if (backlog.isEmpty() && observer.isReady()) {
      observer.onNext(message);
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> future = new CompletableFuture<>();
    backlog.add(new Entry<>(message, future));
    return future;
  }

  /** Called (on the serial executor) when gRPC says the stream can take more. */
  void drain() {
    while (!closed && !backlog.isEmpty() && observer.isReady()) {
      Entry<T> e = backlog.poll();
      observer.onNext(e.message());
      e.handedOver().complete(null);
    }
  }

  int backlogSize() {
    return backlog.size();
  }

  /** Drops the backlog and releases everyone waiting on it. */
  void close() {
    closed = true;
    backlog.forEach(e -> e.handedOver().complete(null));
    backlog.clear();
  }
}
