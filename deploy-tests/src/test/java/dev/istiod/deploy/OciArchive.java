package dev.istiod.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * An OCI image archive (an image layout, tarred: what {@code skopeo copy oci-archive:…} or {@code podman load}
 * take) of a base root filesystem and the layer a {@link Dockerfile}'s steps made on it, with the image config
 * (USER, WORKDIR, ENTRYPOINT, CMD, EXPOSE, ENV) taken from that Dockerfile. Layers are uncompressed tars, so
 * each layer's digest is also its diff_id.
 */
final class OciArchive {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LAYER = "application/vnd.oci.image.layer.v1.tar";
  private static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  private static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  private static final Duration TAR_BOUND = Duration.ofMinutes(10);

  private OciArchive() {}

  /** A blob in the layout: its digest ("sha256:…") and size. */
  private record Blob(String digest, long size) {}

  /**
   * Writes {@code archive}: the base root ({@code baseRoot} as a layer), then {@code layerTar}, configured from
   * {@code image} with {@code env} as the image's ENV, named {@code reference} (e.g. the chart's image).
   */
  static void write(Path archive, Path baseRoot, Path layerTar, Dockerfile image, Map<String, String> env,
      String reference, Path scratch) {
    try {
      Path layout = Files.createDirectories(scratch.resolve("oci-layout"));
      Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
      Path baseTar = scratch.resolve("base-layer.tar");
      Command.run(List.of("tar", "--numeric-owner", "--sort=name", "-C", baseRoot.toString(), "-cf",
          baseTar.toString(), "."), Map.of(), null, TAR_BOUND).orFail();
      Blob base = moveToBlobs(baseTar, blobs);
      Blob layer = moveToBlobs(layerTar, blobs);

      ObjectNode config = JSON.createObjectNode();
      config.put("architecture", "amd64").put("os", "linux");
      ObjectNode run = config.putObject("config");
      run.put("User", image.user()).put("WorkingDir", image.workdir());
      ArrayNode envs = run.putArray("Env");
      env.forEach((k, v) -> envs.add(k + "=" + v));
      image.entrypoint().forEach(run.putArray("Entrypoint")::add);
      image.cmd().forEach(run.putArray("Cmd")::add);
      ObjectNode ports = run.putObject("ExposedPorts");
      image.exposedPorts().forEach(p -> ports.putObject(p + "/tcp"));
      ObjectNode rootfs = config.putObject("rootfs").put("type", "layers");
      rootfs.putArray("diff_ids").add(base.digest()).add(layer.digest());
      ArrayNode history = config.putArray("history");
      history.addObject().put("created_by", "tools/image/base.sh (stands in for FROM " + image.baseImage() + ")");
      history.addObject().put("created_by", "deploy/image/Dockerfile steps (tools/image/sandbox.sh)");
      Blob configBlob = blob(JSON.writeValueAsBytes(config), blobs);

      ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", MANIFEST);
      descriptor(manifest.putObject("config"), CONFIG, configBlob);
      ArrayNode layers = manifest.putArray("layers");
      descriptor(layers.addObject(), LAYER, base);
      descriptor(layers.addObject(), LAYER, layer);
      Blob manifestBlob = blob(JSON.writeValueAsBytes(manifest), blobs);

      ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2)
          .put("mediaType", "application/vnd.oci.image.index.v1+json");
      ObjectNode entry = descriptor(index.putArray("manifests").addObject(), MANIFEST, manifestBlob);
      entry.putObject("annotations").put("org.opencontainers.image.ref.name", reference);
      Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(index));
      Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
      Command.run(List.of("tar", "--numeric-owner", "-C", layout.toString(), "-cf", archive.toString(), "."),
          Map.of(), null, TAR_BOUND).orFail();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + archive, e);
    }
  }

  private static ObjectNode descriptor(ObjectNode node, String mediaType, Blob blob) {
    return node.put("mediaType", mediaType).put("digest", blob.digest()).put("size", blob.size());
  }

  private static Blob blob(byte[] content, Path blobs) throws IOException {
    String hex = HexFormat.of().formatHex(sha256().digest(content));
    Files.write(blobs.resolve(hex), content);
    return new Blob("sha256:" + hex, content.length);
  }

  private static Blob moveToBlobs(Path file, Path blobs) throws IOException {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    String hex = HexFormat.of().formatHex(digest.digest());
    long size = Files.size(file);
    Files.move(file, blobs.resolve(hex), StandardCopyOption.REPLACE_EXISTING);
    return new Blob("sha256:" + hex, size);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
