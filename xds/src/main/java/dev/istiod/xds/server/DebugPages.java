package dev.istiod.xds.server;

import java.util.Objects;
import java.util.Optional;

/**
 * istiod's debug pages ({@code /debug/<page>} on its HTTP ports), rendered in-process for the {@code istio.io/debug}
 * xDS type ({@code istioctl x internal-debug <page>}). The pages live in istiod's HTTP layer; this is the seam
 * through which the xDS server reaches them without depending on it.
 */
@FunctionalInterface
public interface DebugPages {
  /** No pages: every request answers 404, as for an unknown page. */
  DebugPages NONE = page -> Optional.empty();

  /** One rendered page: the HTTP status its handler answered and the body. */
  record Page(int status, byte[] body) {
    public Page {
      Objects.requireNonNull(body, "body");
      body = body.clone();
    }

    @Override
    public byte[] body() {
      return body.clone();
    }
  }

  /**
   * Renders one page.
   *
   * @param pageAndQuery as istioctl names it: {@code syncz}, {@code config_dump?proxyID=sleep-1.default}
   * @return empty if there is no such page
   */
  Optional<Page> render(String pageAndQuery);
}
