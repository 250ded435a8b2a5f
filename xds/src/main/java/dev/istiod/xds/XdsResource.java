package dev.istiod.xds;

import com.google.protobuf.Any;
import java.util.Objects;

/** One generated resource, already packed, ready to be put in a response. */
public record XdsResource(String name, Any resource) {
  public XdsResource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(resource, "resource");
  }

  public static XdsResource of(String name, com.google.protobuf.Message message) {
    return new XdsResource(name, Any.pack(message));
  }
}
