package dev.istiod.xds.core.route;

import com.google.protobuf.ByteString;
import dev.istiod.api.networking.v1alpha3.HTTPDirectResponse;
import dev.istiod.api.networking.v1alpha3.HTTPRedirect;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes that answer without forwarding: {@code redirect} and {@code directResponse}. */
final class DirectAnswers {
  private static final Logger log = LoggerFactory.getLogger(DirectAnswers.class);

  static final RouteContributor CONTRIBUTOR = (ctx, route) -> {
    if (ctx.http().hasRedirect()) {
      redirect(route, ctx.http().getRedirect(), ctx.listenerPort(), ctx.scope().tls());
    } else if (ctx.http().hasDirectResponse()) {
      directResponse(route, ctx.http().getDirectResponse());
    }
  };

  private DirectAnswers() {}

  /** As upstream's {@code ApplyRedirect}; an unsupported code leaves the route without action. */
  static void redirect(Route.Builder out, HTTPRedirect in, int port, boolean tls) {
    RedirectAction.Builder a = RedirectAction.newBuilder().setHostRedirect(in.getAuthority());
    if (!in.getPrefixRewrite().isEmpty()) {
      a.setPrefixRewrite(in.getPrefixRewrite());
    } else {
      a.setPathRedirect(in.getUri());
    }
    if (!in.getScheme().isEmpty()) {
      a.setSchemeRedirect(in.getScheme());
    }
    if (in.getRedirectPortCase() != HTTPRedirect.RedirectPortCase.REDIRECTPORT_NOT_SET) {
      int p = 0;
      if (in.getRedirectPortCase() == HTTPRedirect.RedirectPortCase.PORT) {
        p = in.getPort();
      } else if (in.getDerivePort() == HTTPRedirect.RedirectPortSelection.FROM_REQUEST_PORT) {
        p = port; // Envoy cannot derive it; routes are built per listener port anyway
      }
      String scheme = in.getScheme().isEmpty() ? (tls ? "https" : "http") : in.getScheme();
      if ((p == 80 && scheme.equals("http")) || (p == 443 && scheme.equals("https"))) {
        p = 0;
      }
      a.setPortRedirect(p);
    }
    RedirectAction.RedirectResponseCode code = switch (in.getRedirectCode()) {
      case 0, 301 -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
      case 302 -> RedirectAction.RedirectResponseCode.FOUND;
      case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
      case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
      case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
      default -> null;
    };
    if (code == null) {
      log.warn("redirect code {} is not supported", in.getRedirectCode());
      return;
    }
    out.setRedirect(a.setResponseCode(code));
  }

  static void directResponse(Route.Builder out, HTTPDirectResponse in) {
    DirectResponseAction.Builder a = DirectResponseAction.newBuilder().setStatus(in.getStatus());
    if (in.hasBody()) {
      switch (in.getBody().getSpecifierCase()) {
        case STRING -> a.setBody(DataSource.newBuilder().setInlineString(in.getBody().getString()));
        case BYTES -> a.setBody(DataSource.newBuilder().setInlineBytes(ByteString.copyFrom(in.getBody().getBytes().toByteArray())));
        default -> { }
      }
    }
    out.setDirectResponse(a);
  }
}
