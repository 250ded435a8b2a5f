package dev.istiod.configstore;

import dev.istiod.configstore.validation.ValidationResult;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the new text of one file into its {@link FileState}, deciding what survives an error.
 *
 * <p>The rule: a bad edit never removes config that was working. An object whose new version
 * is invalid (or fails to decode, when its identity could still be read) keeps its last good
 * version from this file. A document that cannot be tied to an object at all (malformed YAML,
 * no name) keeps every previous object of the file, since any of them might be the one being
 * edited; objects disappear from a file only once it reads cleanly without them.
 */
final class FileLoader {
  private static final Logger log = LoggerFactory.getLogger(FileLoader.class);
  private static final String KEPT = "; keeping the last valid version";

  private final ConfigDecoder decoder;
  private final KindRegistry registry;

  FileLoader(ConfigDecoder decoder, KindRegistry registry) {
    this.decoder = Objects.requireNonNull(decoder, "decoder");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  FileState load(Path file, String content, FileState previous) {
    String source = file.toString();
    DecodeResult decoded = source.toLowerCase(Locale.ROOT).endsWith(".json")
        ? decoder.decodeJson(content, source)
        : decoder.decodeYaml(content, source);
    Map<ConfigKey, Config> objects = new LinkedHashMap<>();
    List<ConfigError> errors = new ArrayList<>();
    Map<ConfigKey, Integer> documentOf = new LinkedHashMap<>();
    for (ConfigError e : decoded.errors()) {
      errors.add(keepPrevious(e, previous, objects));
    }
    for (Config config : decoded.configs()) {
      ConfigKey key = config.key();
      int doc = documentIndex(config);
      ObjectRef ref = ObjectRef.of(key, registry.schema(key.kind()).apiVersion());
      Integer firstDoc = documentOf.putIfAbsent(key, doc);
      if (firstDoc != null) {
        errors.add(new ConfigError(source, doc, ref, "duplicate of the object in document " + firstDoc + "; ignored"));
        continue;
      }
      ValidationResult result = registry.validate(config);
      result.warnings().forEach(w -> log.info("{}#{} {}: warning: {}", source, doc, ref, w));
      if (result.isValid()) {
        objects.put(key, config);
        continue;
      }
      String message = "configuration is invalid: " + result.errorSummary();
      Config kept = previous.objects().get(key);
      if (kept != null) {
        objects.put(key, kept);
        message += KEPT;
      }
      errors.add(new ConfigError(source, doc, ref, message));
    }
    keepForUnattributableErrors(errors, previous, objects);
    return new FileState(content, objects, errors);
  }

  /** The file exists but could not be read this time: everything it had stays. */
  FileState unreadable(Path file, String message, FileState previous) {
    List<ConfigError> errors = List.of(new ConfigError(file.toString(), -1, ObjectRef.UNKNOWN,
        message + (previous.objects().isEmpty() ? "" : "; keeping its previous objects")));
    return new FileState(previous.content(), previous.objects(), errors);
  }

  /** A decode error naming an object keeps that object's (or a same-named object's) last version. */
  private static ConfigError keepPrevious(ConfigError e, FileState previous, Map<ConfigKey, Config> objects) {
    ObjectRef ref = e.object();
    if (ref.name().isEmpty()) {
      return e; // handled by keepForUnattributableErrors
    }
    boolean kept = false;
    for (Map.Entry<ConfigKey, Config> p : previous.objects().entrySet()) {
      ConfigKey k = p.getKey();
      boolean same = ref.key().map(k::equals)
          // The kind could not be read (e.g. a typo in it): match on namespace and name.
          .orElse(k.namespace().equals(ref.namespace()) && k.name().equals(ref.name()));
      if (same) {
        objects.putIfAbsent(k, p.getValue());
        kept = true;
      }
    }
    return kept ? new ConfigError(e.source(), e.document(), ref, e.message() + KEPT) : e;
  }

  private static void keepForUnattributableErrors(List<ConfigError> errors, FileState previous,
      Map<ConfigKey, Config> objects) {
    boolean unattributable = errors.stream().anyMatch(e -> e.object().name().isEmpty());
    if (!unattributable) {
      return;
    }
    int before = objects.size();
    previous.objects().forEach(objects::putIfAbsent);
    if (objects.size() == before) {
      return;
    }
    for (int i = 0; i < errors.size(); i++) {
      ConfigError e = errors.get(i);
      if (e.object().name().isEmpty()) {
        errors.set(i, new ConfigError(e.source(), e.document(), e.object(),
            e.message() + "; keeping the file's previous objects until it reads cleanly"));
      }
    }
  }

  /** The decoder records {@code source#index} as the origin. */
  static int documentIndex(Config config) {
    String origin = config.meta().origin();
    int hash = origin.lastIndexOf('#');
    try {
      return hash < 0 ? -1 : Integer.parseInt(origin.substring(hash + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
