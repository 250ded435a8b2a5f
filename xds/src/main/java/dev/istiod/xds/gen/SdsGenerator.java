package dev.istiod.xds.gen;

import com.google.protobuf.ByteString;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Credential;
import dev.istiod.model.CredentialsController;
import dev.istiod.model.Kind;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.VerifiedIdentity;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SDS over ADS: the {@code credentialName} secrets a gateway (or a sidecar whose DestinationRule
 * names one) references as {@code kubernetes://<name>} and {@code kubernetes://<name>-cacert}
 * (upstream's {@code SecretGen}, {@code pilot/pkg/xds/sds.go}). Workload certificates are not
 * here: pilot-agent serves those itself.
 *
 * <p>Who gets what, as upstream:
 * <ul>
 *   <li>Only a proxy whose stream proved an identity (15012) gets anything; an anonymous stream
 *       gets nothing, with a warning.</li>
 *   <li>{@code kubernetes://} secrets only from the namespace of that identity. The CA part
 *       ({@code -cacert}) is public and needs nothing more; a certificate with its private key also
 *       needs the proxy's service account to be allowed to read the namespace's secrets itself
 *       ({@link CredentialsController#authorize}, a SubjectAccessReview upstream).</li>
 *   <li>Anything denied is left out of the answer (never failing the others) and named in one
 *       warning; {@code kubernetes-gateway://} (Gateway API) and {@code configmap://} references
 *       are not served by this istiod.</li>
 * </ul>
 *
 * <p>Answers: a certificate becomes a {@code tls_certificate} with the chain and key inline (and
 * the OCSP staple); a {@code -cacert} name becomes a {@code validation_context} with the CA bundle
 * (and CRL), read from the Secret {@code <name>-cacert} if it exists, else from {@code <name>}
 * itself. Each answer is named exactly as requested. A Secret that does not exist or lacks the
 * keys is left out with a warning; an expired certificate is still sent, with a warning.
 *
 * <p>Pushes: only forced pushes (a proxy's own request) and pushes naming {@link Kind#SECRET}. A
 * Secret change is incremental: only the watched secrets that depend on the changed ones are
 * regenerated. Key material is never logged.
 */
public final class SdsGenerator implements XdsGenerator {
  private static final Logger log = LoggerFactory.getLogger(SdsGenerator.class);

  private final Clock clock;

  public SdsGenerator() {
    this(Clock.systemUTC());
  }

  /** @param clock what "now" is when checking certificate validity (only for warnings) */
  public SdsGenerator(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public String typeUrl() {
    return TypeUrls.SECRET;
  }

  /** Upstream's {@code sdsNeedsPush}: a forced push, or one naming a Secret. */
  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return request == null || request.forced() || request.touches(Kind.SECRET);
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    VerifiedIdentity identity = proxy.verifiedIdentity();
    if (identity == null) {
      if (!watched.resourceNames().isEmpty()) {
        log.warn("proxy {} is not authorized to receive secrets. Ensure you are connecting over TLS port and are "
            + "authenticated.", proxy.id());
      }
      return null;
    }
    if (!needsPush(proxy, request)) {
      return null;
    }
    // An incremental push regenerates only what depends on the Secrets it names.
    Set<ConfigKey> changed = request != null && !request.full()
        ? request.configsUpdated().stream().filter(k -> k.kind() == Kind.SECRET).collect(Collectors.toSet())
        : null;
    CredentialsController credentials = push.environment().credentials();
    List<SecretResourceName> allowed = authorized(parse(watched.resourceNames(), identity, proxy), identity, proxy,
        credentials);
    List<XdsResource> out = new ArrayList<>();
    for (SecretResourceName r : allowed) {
      if (changed != null && changed.stream().noneMatch(k -> r.dependsOn(k.namespace(), k.name()))) {
        continue;
      }
      secret(r, credentials).ifPresent(s -> out.add(XdsResource.of(r.resourceName(), s)));
    }
    if (out.isEmpty()) {
      return null;
    }
    return new GenerationResult(out, Set.of(), changed != null,
        (changed != null ? "incremental " : "") + out.size() + "/" + watched.resourceNames().size() + " secrets");
  }

  private static List<SecretResourceName> parse(Collection<String> names, VerifiedIdentity identity, Proxy proxy) {
    List<SecretResourceName> out = new ArrayList<>();
    for (String name : new TreeSet<>(names)) {
      StringBuilder why = new StringBuilder();
      Optional<SecretResourceName> parsed = SecretResourceName.parse(name, identity.namespace(), why);
      if (parsed.isPresent()) {
        out.add(parsed.get());
      } else {
        log.warn("proxy {}: error parsing resource name: {}", proxy.id(), why);
      }
    }
    return out;
  }

  /**
   * Upstream's {@code filterAuthorizedResources}: a Secret of the proxy's own namespace, the CA part
   * freely and the key only if the proxy's service account may read secrets there. The
   * authorization is asked at most once per generation.
   */
  private static List<SecretResourceName> authorized(List<SecretResourceName> requested, VerifiedIdentity identity,
      Proxy proxy, CredentialsController credentials) {
    List<SecretResourceName> allowed = new ArrayList<>();
    List<String> denied = new ArrayList<>();
    CredentialsController.Authorization authorization = null;
    String reason = null;
    for (SecretResourceName r : requested) {
      switch (r.type()) {
        case KUBERNETES -> {
          boolean sameNamespace = r.namespace().equals(identity.namespace());
          if (sameNamespace && !r.isCaOnly() && authorization == null) {
            authorization = credentials.authorize(identity.serviceAccount(), identity.namespace());
          }
          if (sameNamespace && (r.isCaOnly() || authorization.allowed())) {
            allowed.add(r);
          } else {
            denied.add(r.resourceName());
            if (!sameNamespace) {
              reason = "cross namespace secret reference requires ReferencePolicy";
            }
          }
        }
        case KUBERNETES_GATEWAY -> {
          denied.add(r.resourceName());
          reason = "kubernetes-gateway:// (Gateway API) secret references are not served by this istiod";
        }
        case CONFIGMAP -> {
          denied.add(r.resourceName());
          reason = "configmap:// CA references are not served by this istiod";
        }
      }
    }
    if (!denied.isEmpty()) {
      String why = authorization != null && !authorization.allowed() ? authorization.reason() : reason;
      log.warn("proxy {} attempted to access unauthorized certificates {}: {}", proxy.id(), atMostThree(denied), why);
    }
    return allowed;
  }

  private Optional<Secret> secret(SecretResourceName r, CredentialsController credentials) {
    try {
      if (r.isCaOnly()) {
        Optional<Credential> c = credentials.get(r.namespace(), r.name())
            .or(() -> credentials.get(r.namespace(), r.baseName()));
        if (c.isEmpty()) {
          log.warn("failed to fetch ca certificate for {}: secret {}/{} not found", r.resourceName(), r.namespace(),
              r.baseName());
          return Optional.empty();
        }
        Credential.CaCertificate ca = c.get().caCertificate();
        warnIfInvalid(r.resourceName(), ca.caCertificates());
        CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder()
            .setTrustedCa(inline(ca.caCertificates()));
        if (!ca.crl().isEmpty()) {
          v.setCrl(inline(ca.crl()));
        }
        return Optional.of(Secret.newBuilder().setName(r.resourceName()).setValidationContext(v).build());
      }
      Optional<Credential> c = credentials.get(r.namespace(), r.name());
      if (c.isEmpty()) {
        log.warn("failed to fetch key and certificate for {}: secret {}/{} not found", r.resourceName(), r.namespace(),
            r.name());
        return Optional.empty();
      }
      Credential.KeyCertificate kc = c.get().keyCertificate();
      warnIfInvalid(r.resourceName(), kc.certificateChain());
      TlsCertificate.Builder t = TlsCertificate.newBuilder()
          .setCertificateChain(inline(kc.certificateChain()))
          .setPrivateKey(inline(kc.privateKey()));
      if (!kc.ocspStaple().isEmpty()) {
        t.setOcspStaple(inline(kc.ocspStaple()));
      }
      return Optional.of(Secret.newBuilder().setName(r.resourceName()).setTlsCertificate(t).build());
    } catch (IllegalArgumentException e) {
      // Credential's messages name keys, never values.
      log.warn("failed to fetch {} for {}: {}", r.isCaOnly() ? "ca certificate" : "key and certificate",
          r.resourceName(), e.getMessage());
      return Optional.empty();
    }
  }

  /** Upstream's {@code ValidateCertificate}: a warning only; the certificate is sent regardless. */
  private void warnIfInvalid(String resourceName, ByteString pem) {
    String problem;
    try {
      Collection<? extends java.security.cert.Certificate> certs = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.toByteArray()));
      problem = certs.isEmpty() ? "pem decode failed" : null;
      for (java.security.cert.Certificate c : certs) {
        if (c instanceof X509Certificate x) {
          java.util.Date now = java.util.Date.from(clock.instant());
          if (now.after(x.getNotAfter()) || now.before(x.getNotBefore())) {
            problem = "certificate is expired or not yet valid";
          }
        }
      }
    } catch (CertificateException e) {
      problem = "pem decode failed";
    }
    if (problem != null) {
      log.warn("invalid certificates: \"{}\": {}", resourceName, problem);
    }
  }

  private static DataSource inline(ByteString bytes) {
    return DataSource.newBuilder().setInlineBytes(bytes).build();
  }

  private static String atMostThree(List<String> names) {
    return names.size() <= 3 ? String.join(", ", names)
        : String.join(", ", names.subList(0, 3)) + ", and " + (names.size() - 3) + " others";
  }
}
