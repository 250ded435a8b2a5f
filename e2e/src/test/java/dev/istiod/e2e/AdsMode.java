package dev.istiod.e2e;

/** The two ADS flavours an Envoy can speak; istiod must serve both (Istio's agents default to delta). */
public enum AdsMode {
  SOTW("GRPC"),
  DELTA("DELTA_GRPC");

  private final String envoyApiType;

  AdsMode(String envoyApiType) {
    this.envoyApiType = envoyApiType;
  }

  /** The value of {@code dynamic_resources.ads_config.api_type} in Envoy's bootstrap. */
  String envoyApiType() {
    return envoyApiType;
  }
}
