package dev.istiod.xds;

import java.util.List;
import java.util.Set;

/**
 * What a generator produced for one proxy and one type.
 *
 * @param resources the resources to send
 * @param removed names to tell a delta client to drop; only meaningful for {@code incremental}
 *     results (a full result implies "everything previously sent and not here is removed")
 * @param incremental true if {@code resources} is only the changed subset (incremental EDS), so
 *     a SotW stream for a non-wildcard type may still send it but a delta stream must not infer
 *     removals from absence
 * @param detail a short human summary for debug logs
 */
public record GenerationResult(List<XdsResource> resources, Set<String> removed, boolean incremental, String detail) {
  public GenerationResult {
    resources = List.copyOf(resources);
    removed = Set.copyOf(removed);
    detail = detail == null ? "" : detail;
  }

  public static GenerationResult full(List<XdsResource> resources) {
    return new GenerationResult(resources, Set.of(), false, "");
  }
}
