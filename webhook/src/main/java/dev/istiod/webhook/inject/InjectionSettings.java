package dev.istiod.webhook.inject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What the injector is configured with: the {@code config} and {@code values} of the
 * {@code istio-sidecar-injector[-<rev>]} ConfigMap, read from the ConfigMap itself or from the
 * files it is mounted as ({@code ./var/lib/istio/inject/{config,values}}), as upstream does.
 */
public record InjectionSettings(InjectionConfig config, InjectionValues values) {
  /** The ConfigMap keys, and the file names in the mounted directory. */
  public static final String CONFIG_KEY = "config";
  public static final String VALUES_KEY = "values";
  /** Where upstream's istiod Deployment mounts the ConfigMap, relative to the working directory. */
  public static final Path DEFAULT_DIRECTORY = Path.of("var", "lib", "istio", "inject");

  public InjectionSettings {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(values, "values");
  }

  /** The chart's defaults: injection works without any ConfigMap. */
  public static InjectionSettings defaults() {
    return new InjectionSettings(InjectionConfig.defaults(), InjectionValues.defaults());
  }

  /**
   * From a ConfigMap's data; a missing key takes the defaults.
   *
   * @throws IllegalArgumentException when a key's content cannot be read
   */
  public static InjectionSettings fromConfigMap(Map<String, String> data) {
    String config = data.get(CONFIG_KEY);
    String values = data.get(VALUES_KEY);
    return new InjectionSettings(
        config == null ? InjectionConfig.defaults() : InjectionConfig.parse(config),
        values == null ? InjectionValues.defaults() : InjectionValues.parse(values));
  }

  /**
   * From the files {@code config} and {@code values} in a directory; a missing file takes the
   * defaults.
   *
   * @throws IOException when a file exists but cannot be read
   * @throws IllegalArgumentException when a file's content cannot be read as settings
   */
  public static InjectionSettings fromDirectory(Path dir) throws IOException {
    Path config = dir.resolve(CONFIG_KEY);
    Path values = dir.resolve(VALUES_KEY);
    return new InjectionSettings(
        Files.exists(config) ? InjectionConfig.parse(Files.readString(config)) : InjectionConfig.defaults(),
        Files.exists(values) ? InjectionValues.parse(Files.readString(values)) : InjectionValues.defaults());
  }
}
