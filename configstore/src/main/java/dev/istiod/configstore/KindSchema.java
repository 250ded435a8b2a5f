package dev.istiod.configstore;

import com.google.protobuf.Message;
import dev.istiod.configstore.validation.Validator;
import dev.istiod.model.Kind;
import java.util.List;
import java.util.Objects;

/**
 * Everything istiod knows about one Istio kind: its Kubernetes identity and versions, the proto
 * its spec decodes into, and the validator that guards it.
 *
 * @param servedVersions API versions accepted on input, e.g. {@code v1, v1beta1, v1alpha3}
 * @param storageVersion the version written back (and the CRD's storage version)
 * @param defaultSpec the empty spec; {@code newBuilderForType()} starts a decode
 */
public record KindSchema(Kind kind, List<String> servedVersions, String storageVersion,
    Message defaultSpec, Validator validator) {

  public KindSchema {
    Objects.requireNonNull(kind, "kind");
    servedVersions = List.copyOf(servedVersions);
    Objects.requireNonNull(storageVersion, "storageVersion");
    Objects.requireNonNull(defaultSpec, "defaultSpec");
    Objects.requireNonNull(validator, "validator");
    if (!kind.isIstioConfig()) {
      throw new IllegalArgumentException(kind + " is a registry pseudo-kind, not an Istio config kind");
    }
    if (!servedVersions.contains(storageVersion)) {
      throw new IllegalArgumentException(kind + ": storage version " + storageVersion + " is not served");
    }
  }

  public String group() {
    return kind.group();
  }

  public String kindName() {
    return kind.kindName();
  }

  public String plural() {
    return kind.plural();
  }

  /** {@code group/storageVersion}, e.g. {@code networking.istio.io/v1}. */
  public String apiVersion() {
    return kind.group() + "/" + storageVersion;
  }

  public boolean serves(String version) {
    return servedVersions.contains(version);
  }
}
