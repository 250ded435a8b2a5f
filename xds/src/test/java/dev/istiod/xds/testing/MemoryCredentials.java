package dev.istiod.xds.testing;

import com.google.protobuf.ByteString;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Credential;
import dev.istiod.model.CredentialsController;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * An in-memory credentials source for tests: Secrets put and removed by the test, and the service
 * accounts allowed to read their namespace's secrets (all of them unless {@link #denyAll} or
 * {@link #allowOnly} says otherwise). Each change is reported to the push sink, as the Kubernetes
 * source does.
 */
public final class MemoryCredentials implements CredentialsController {
  private final Map<String, Credential> secrets = new ConcurrentHashMap<>();
  private final Set<String> allowed = ConcurrentHashMap.newKeySet();
  private volatile boolean allowAll = true;
  private volatile Consumer<PushRequest> pushes = r -> { };

  /** Where changes go (a FakeDiscoveryServer's {@code configUpdate}). */
  public MemoryCredentials pushTo(Consumer<PushRequest> sink) {
    this.pushes = Objects.requireNonNull(sink, "sink");
    return this;
  }

  /** Puts a Secret with string data (PEM), replacing any of the same name. */
  public MemoryCredentials put(String namespace, String name, Map<String, String> data) {
    Map<String, ByteString> bytes = new LinkedHashMap<>();
    data.forEach((k, v) -> bytes.put(k, ByteString.copyFrom(v, StandardCharsets.UTF_8)));
    secrets.put(namespace + "/" + name, new Credential(namespace, name, bytes));
    changed(namespace, name);
    return this;
  }

  public MemoryCredentials remove(String namespace, String name) {
    secrets.remove(namespace + "/" + name);
    changed(namespace, name);
    return this;
  }

  /** Only these {@code namespace/serviceAccount} pairs may read secrets. */
  public MemoryCredentials allowOnly(String... namespaceSlashServiceAccount) {
    allowed.clear();
    allowed.addAll(Set.of(namespaceSlashServiceAccount));
    allowAll = false;
    return this;
  }

  public MemoryCredentials denyAll() {
    return allowOnly();
  }

  private void changed(String namespace, String name) {
    pushes.accept(PushRequest.secrets(Set.of(new ConfigKey(Kind.SECRET, namespace, name))));
  }

  @Override
  public Optional<Credential> get(String namespace, String name) {
    return Optional.ofNullable(secrets.get(namespace + "/" + name));
  }

  @Override
  public Authorization authorize(String serviceAccount, String namespace) {
    return allowAll || allowed.contains(namespace + "/" + serviceAccount) ? Authorization.ALLOWED
        : Authorization.denied(serviceAccount + "/" + namespace + " is not authorized to read secrets");
  }
}
