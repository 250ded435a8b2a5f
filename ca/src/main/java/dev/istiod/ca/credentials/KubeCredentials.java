package dev.istiod.ca.credentials;

import com.google.protobuf.ByteString;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Credential;
import dev.istiod.model.CredentialsController;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code credentialName} secrets from the cluster (upstream's kube {@code CredentialsController}):
 * an informer over every namespace's Secrets, except the two kinds that are large, common and
 * never certificates (Helm releases and service-account tokens), and the SubjectAccessReview
 * that decides whether a proxy's service account may read its namespace's secrets.
 *
 * <p>Changes: every added, deleted or data-changed Secret becomes an incremental
 * {@link PushRequest#secrets} push naming it, so SDS re-sends exactly the secrets that depend on
 * it to the proxies that watch them; a Secret whose data did not change (an annotation, a
 * resync) pushes nothing.
 *
 * <p>Authorization: the review's answer is cached per service account, a success for five minutes
 * and a refusal or an API error for one (upstream's TTLs), so a gateway's reconnects do not hit
 * the API server each time, and a new RoleBinding takes effect within a minute.
 *
 * <p>Key material is never logged: only namespaces, names and key names.
 */
public final class KubeCredentials implements CredentialsController, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeCredentials.class);
  /** Secret types never holding certificates, left out of the informer (upstream's field selector). */
  static final Set<String> IGNORED_TYPES = Set.of("helm.sh/release.v1", "kubernetes.io/service-account-token");
  static final Duration DENIED_TTL = Duration.ofMinutes(1);
  static final Duration ALLOWED_TTL = Duration.ofMinutes(5);

  private record CachedAuthorization(Authorization answer, Instant expires) {}

  private final KubernetesClient client;
  private final Consumer<PushRequest> pushes;
  private final Clock clock;
  private final SharedIndexInformer<Secret> secrets;
  private final ConcurrentHashMap<String, CachedAuthorization> authorizations = new ConcurrentHashMap<>();

  /**
   * @param pushes where Secret changes go (the discovery server's {@code configUpdate})
   * @param clock for the authorization cache
   */
  public KubeCredentials(KubernetesClient client, Consumer<PushRequest> pushes, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.pushes = Objects.requireNonNull(pushes, "pushes");
    this.clock = Objects.requireNonNull(clock, "clock");
    FilterWatchListDeletable<Secret, SecretList, Resource<Secret>> list = client.secrets().inAnyNamespace();
    for (String type : IGNORED_TYPES) {
      list = list.withoutField("type", type);
    }
    this.secrets = list.runnableInformer(0);
    // fabric8 gives up on an informer whose first LIST fails (a timeout under load, the apiserver
    // restarting) and readiness waits for this one: keep listing and watching, as client-go does.
    secrets.exceptionHandler((started, t) -> {
      log.warn("Secret informer: {}; retrying", t.toString());
      return true;
    });
  }

  /** Starts the informer; {@link #hasSynced} turns true once it has listed every Secret. */
  public void start() {
    secrets.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Secret s) {
        changed(s);
      }

      @Override
      public void onUpdate(Secret old, Secret s) {
        if (!Objects.equals(old.getData(), s.getData()) || !Objects.equals(old.getStringData(), s.getStringData())) {
          changed(s);
        }
      }

      @Override
      public void onDelete(Secret s, boolean deletedFinalStateUnknown) {
        changed(s);
      }
    });
    secrets.start();
  }

  public boolean hasSynced() {
    return secrets.hasSynced();
  }

  private void changed(Secret s) {
    if (s.getType() != null && IGNORED_TYPES.contains(s.getType())) {
      return; // the API server honours the field selector; this guards a server that does not
    }
    String ns = s.getMetadata().getNamespace();
    String name = s.getMetadata().getName();
    log.debug("secret {}/{} changed", ns, name);
    try {
      pushes.accept(PushRequest.secrets(Set.of(new ConfigKey(Kind.SECRET, ns, name))));
    } catch (RuntimeException e) {
      log.error("cannot push the change of secret {}/{}", ns, name, e);
    }
  }

  @Override
  public Optional<Credential> get(String namespace, String name) {
    Secret s = secrets.getIndexer().getByKey(namespace + "/" + name);
    if (s == null || (s.getType() != null && IGNORED_TYPES.contains(s.getType()))) {
      return Optional.empty();
    }
    return Optional.of(toCredential(s));
  }

  /** The Secret's data (base64, as the API serves it) decoded; {@code stringData} only if data lacks the key. */
  static Credential toCredential(Secret s) {
    Map<String, ByteString> data = new HashMap<>();
    if (s.getStringData() != null) {
      s.getStringData().forEach((k, v) -> data.put(k, ByteString.copyFromUtf8(v == null ? "" : v)));
    }
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> {
        try {
          data.put(k, ByteString.copyFrom(Base64.getMimeDecoder().decode(v == null ? "" : v)));
        } catch (IllegalArgumentException e) {
          log.warn("secret {}/{}: key {} is not base64; ignored", s.getMetadata().getNamespace(),
              s.getMetadata().getName(), k);
        }
      });
    }
    return new Credential(s.getMetadata().getNamespace(), s.getMetadata().getName(), data);
  }

  @Override
  public Authorization authorize(String serviceAccount, String namespace) {
    String user = "system:serviceaccount:" + namespace + ":" + serviceAccount;
    Instant now = clock.instant();
    authorizations.values().removeIf(c -> !c.expires().isAfter(now));
    CachedAuthorization cached = authorizations.get(user);
    if (cached != null) {
      return cached.answer();
    }
    Authorization answer = review(user, serviceAccount, namespace);
    authorizations.put(user, new CachedAuthorization(answer, now.plus(answer.allowed() ? ALLOWED_TTL : DENIED_TTL)));
    log.debug("cached authorization for user {}: {}", user, answer);
    return answer;
  }

  /** Asks the API server whether {@code user} may list secrets in {@code namespace}. */
  private Authorization review(String user, String serviceAccount, String namespace) {
    SubjectAccessReview request = new SubjectAccessReviewBuilder().withNewSpec()
        .withUser(user)
        .withNewResourceAttributes().withNamespace(namespace).withVerb("list").withResource("secrets")
        .endResourceAttributes()
        .endSpec().build();
    try {
      SubjectAccessReview response = client.authorization().v1().subjectAccessReview().create(request);
      if (response != null && response.getStatus() != null && Boolean.TRUE.equals(response.getStatus().getAllowed())) {
        return Authorization.ALLOWED;
      }
      String reason = response == null || response.getStatus() == null ? "" : response.getStatus().getReason();
      return Authorization.denied(serviceAccount + "/" + namespace + " is not authorized to read secrets: "
          + (reason == null ? "" : reason));
    } catch (KubernetesClientException e) {
      log.warn("SubjectAccessReview for {} failed with HTTP {}", user, e.getCode());
      return Authorization.denied("SubjectAccessReview failed with HTTP " + e.getCode()
          + (e.getStatus() == null ? "" : ": " + e.getStatus().getMessage()));
    }
  }

  @Override
  public void close() {
    secrets.close();
  }
}
