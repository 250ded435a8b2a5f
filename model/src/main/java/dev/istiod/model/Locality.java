package dev.istiod.model;

/** Region/zone/subzone of a workload; empty strings when unknown. */
public record Locality(String region, String zone, String subzone) {
  public static final Locality NONE = new Locality("", "", "");

  public Locality {
    region = region == null ? "" : region;
    zone = zone == null ? "" : zone;
    subzone = subzone == null ? "" : subzone;
  }

  /** Parses Istio's {@code region/zone/subzone} form (the {@code istio-locality} label uses dots too). */
  public static Locality parse(String s) {
    if (s == null || s.isEmpty()) {
      return NONE;
    }
    String[] parts = s.split("[/.]", 3);
    return new Locality(parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : "");
  }

  public boolean isEmpty() {
    return region.isEmpty() && zone.isEmpty() && subzone.isEmpty();
  }

  @Override
  public String toString() {
    return region + "/" + zone + "/" + subzone;
  }
}
