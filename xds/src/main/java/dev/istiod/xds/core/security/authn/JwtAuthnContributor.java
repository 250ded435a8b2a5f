package dev.istiod.xds.core.security.authn;

import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.HttpFilterContributor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;

/**
 * Adds the JWT filter where upstream enforces RequestAuthentication: the sidecar's inbound
 * connection managers and every gateway connection manager, never outbound (the server side
 * checks end-user tokens). Runs before authorization, which reads the verified payloads.
 */
public final class JwtAuthnContributor implements HttpFilterContributor {
  public static final JwtAuthnContributor INSTANCE = new JwtAuthnContributor();

  private JwtAuthnContributor() {}

  @Override
  public void contribute(Context ctx, List<HttpFilter> out) {
    if (ctx.listenerClass() == ListenerClass.SIDECAR_OUTBOUND) {
      return;
    }
    ProxyInputs in = ctx.inputs();
    List<JWTRule> rules = in.push().requestAuthentications()
        .jwtRules(in.proxy().configNamespace(), in.proxy().labels());
    JwtAuthnFilter.of(rules, in.push().environment().jwks(), ctx.listenerClass() == ListenerClass.GATEWAY)
        .ifPresent(out::add);
  }
}
