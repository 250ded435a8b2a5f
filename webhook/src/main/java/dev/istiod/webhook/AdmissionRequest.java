package dev.istiod.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Objects;

/**
 * The parts of an AdmissionReview's {@code request} the webhooks use. The same shape arrives
 * under {@code admission.k8s.io/v1} and {@code v1beta1}.
 *
 * @param kind the object's kind as the apiserver names it ({@code request.kind})
 * @param resource the resource being admitted ({@code request.resource}), e.g. {@code
 *     networking.istio.io/v1 virtualservices}
 * @param object the object being admitted; {@link MissingNode} when absent (DELETE)
 * @param oldObject the stored object on UPDATE and DELETE; {@link MissingNode} when absent
 */
public record AdmissionRequest(String uid, GroupVersionKind kind, GroupVersionResource resource,
    String subResource, String name, String namespace, String operation, JsonNode object,
    JsonNode oldObject, boolean dryRun) {

  public AdmissionRequest {
    uid = Objects.requireNonNullElse(uid, "");
    kind = Objects.requireNonNullElse(kind, GroupVersionKind.EMPTY);
    resource = Objects.requireNonNullElse(resource, GroupVersionResource.EMPTY);
    subResource = Objects.requireNonNullElse(subResource, "");
    name = Objects.requireNonNullElse(name, "");
    namespace = Objects.requireNonNullElse(namespace, "");
    operation = Objects.requireNonNullElse(operation, "");
    object = Objects.requireNonNullElse(object, MissingNode.getInstance());
    oldObject = Objects.requireNonNullElse(oldObject, MissingNode.getInstance());
  }

  /** {@code group/version, Kind=kind}, as the apiserver and upstream write a GVK. */
  public record GroupVersionKind(String group, String version, String kind) {
    static final GroupVersionKind EMPTY = new GroupVersionKind("", "", "");

    public GroupVersionKind {
      group = Objects.requireNonNullElse(group, "");
      version = Objects.requireNonNullElse(version, "");
      kind = Objects.requireNonNullElse(kind, "");
    }

    @Override
    public String toString() {
      return (group.isEmpty() ? version : group + "/" + version) + ", Kind=" + kind;
    }
  }

  /** The resource of a request, e.g. {@code networking.istio.io}, {@code v1}, {@code gateways}. */
  public record GroupVersionResource(String group, String version, String resource) {
    static final GroupVersionResource EMPTY = new GroupVersionResource("", "", "");

    public GroupVersionResource {
      group = Objects.requireNonNullElse(group, "");
      version = Objects.requireNonNullElse(version, "");
      resource = Objects.requireNonNullElse(resource, "");
    }
  }
}
