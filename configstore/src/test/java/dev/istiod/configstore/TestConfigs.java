package dev.istiod.configstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.Config;
import dev.istiod.model.Kind;
import java.util.List;

/** Builds configs from YAML for tests, failing the test on any decode error. */
public final class TestConfigs {
  public static final KindRegistry REGISTRY = KindRegistry.istio();
  private static final ConfigDecoder STRICT = new ConfigDecoder(REGISTRY, DecodeMode.STRICT);

  private TestConfigs() {}

  /** Every object of a (multi-document) YAML text. */
  public static List<Config> parse(String yaml) {
    DecodeResult r = STRICT.decodeYaml(yaml, "test.yaml");
    assertThat(r.errors()).as("decode errors").isEmpty();
    return r.configs();
  }

  /** One object of {@code kind} named {@code name} in {@code default}, with this spec (YAML). */
  public static Config config(Kind kind, String name, String specYaml) {
    return config(kind, name, "", specYaml);
  }

  /** As {@link #config(Kind, String, String)} with extra metadata lines (YAML, indented 2). */
  public static Config config(Kind kind, String name, String metadataYaml, String specYaml) {
    String apiVersion = REGISTRY.schema(kind).apiVersion();
    String yaml = "apiVersion: " + apiVersion + "\nkind: " + kind.kindName() + "\nmetadata:\n  name: " + name
        + "\n  namespace: default\n" + indent(metadataYaml) + "spec:\n" + indent(specYaml);
    List<Config> configs = parse(yaml);
    assertThat(configs).hasSize(1);
    return configs.get(0);
  }

  private static String indent(String yaml) {
    StringBuilder b = new StringBuilder();
    for (String line : yaml.stripIndent().split("\n")) {
      if (!line.isBlank()) {
        b.append("  ").append(line).append('\n');
      }
    }
    return b.toString();
  }
}
