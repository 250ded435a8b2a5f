package dev.istiod.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** GETs against the local admin and debug endpoints of istiod and Envoy, each bounded by a timeout. */
public final class LocalHttp {
  /** Status 0 means the request itself failed (connection refused, timeout); the body says why. */
  public record Response(int status, String body) {
    public boolean ok() {
      return status == 200;
    }
  }

  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1)
      .build();

  Response get(URI uri) {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      return new Response(0, uri + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(0, uri + ": interrupted");
    }
  }

  /** The body of a 200 response; anything else fails with the status and body. */
  String getOk(URI uri) {
    Response response = get(uri);
    if (!response.ok()) {
      throw new AssertionError("GET " + uri + " -> " + response.status() + ": " + response.body());
    }
    return response.body();
  }
}
