package dev.istiod.serviceregistry.serviceentry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** One {@code key=value} label: the unit the selector indexes are keyed by. */
record Label(String key, String value) {
  Label {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }

  static List<Label> of(Map<String, String> labels) {
    List<Label> out = new ArrayList<>(labels.size());
    labels.forEach((k, v) -> out.add(new Label(k, v)));
    return out;
  }
}
