package dev.istiod.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An image built from a {@link Dockerfile} and run as a Pod's container by tools/image/sandbox.sh: the image's
 * COPY and RUN steps applied over a base root, then its ENTRYPOINT plus the container's args started from a
 * read-only root as the image's USER, with the Pod's volumes, environment, hostname, network namespace and
 * memory limit. This is what a container runtime and the kubelet do, without either.
 *
 * @param base the base image's root filesystem (the Dockerfile's FROM is not pulled: no registry here)
 * @param baseEnv the base image's ENV (PATH, JAVA_HOME), for RUN steps and the container
 * @param context the build context COPY sources are relative to
 * @param volumes host directories holding the files of Secret, ConfigMap and token volumes, by volume name
 *     (an optional object volume without an entry is mounted empty, as when its object does not exist)
 * @param extraEnv what the kubelet adds to the container's env (KUBERNETES_SERVICE_HOST, HOSTNAME, ...)
 * @param masks base directories that are not part of the base image, hidden from the container
 * @param probe a command run as the container's user inside it, with the process id appended (e.g. jcmd)
 */
record ContainerSandbox(Dockerfile image, PodContainer container, Path base, Map<String, String> baseEnv,
    Path context, String podName, String namespace, PodNetwork network, long memoryBytes,
    Map<String, Path> volumes, Map<String, String> extraEnv, List<String> masks, List<String> probe) {

  ContainerSandbox {
    baseEnv = Map.copyOf(baseEnv);
    volumes = Map.copyOf(volumes);
    extraEnv = Map.copyOf(extraEnv);
    masks = List.copyOf(masks);
    probe = List.copyOf(probe);
  }

  /** The container's full environment: the base image's, then the kubelet's, then the Pod spec's. */
  Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>(baseEnv);
    env.putAll(extraEnv);
    env.putAll(container.resolvedEnv(podName, namespace));
    return env;
  }

  /** Writes the plan into {@code dir}/plan and starts the sandbox; its files land in {@code dir}/out. */
  Running start(Path dir) {
    return start(dir, null);
  }

  /** As {@link #start(Path)}, and writes the image's layer (what its steps made) as a tar to {@code layerTar}. */
  Running start(Path dir, Path layerTar) {
    Path plan = dir.resolve("plan");
    Path out = dir.resolve("out");
    try {
      Files.createDirectories(plan);
      Files.createDirectories(out);
      write(plan.resolve("base"), base.toString());
      write(plan.resolve("netns"), network.name());
      write(plan.resolve("memory"), Long.toString(memoryBytes));
      write(plan.resolve("hostname"), podName);
      writeNul(plan.resolve("shell"), image.shell());
      writeNul(plan.resolve("build-env"), envList(Map.of("HOME", "/root"), baseEnv));
      StringBuilder steps = new StringBuilder();
      int runs = 0;
      for (Dockerfile.Step step : image.steps()) {
        switch (step) {
          case Dockerfile.Copy copy -> steps.append("COPY\t").append(context.resolve(copy.source()).toAbsolutePath())
              .append('\t').append(copy.destination()).append('\n');
          case Dockerfile.Run run -> {
            Path script = plan.resolve("run-" + (++runs) + ".sh");
            write(script, run.script());
            steps.append("RUN\t").append(run.workdir()).append('\t').append(script).append('\n');
          }
        }
      }
      write(plan.resolve("steps"), steps.toString());
      StringBuilder mountpoints = new StringBuilder();
      StringBuilder mounts = new StringBuilder();
      for (PodContainer.Mount mount : container.mounts()) {
        mountpoints.append(mount.path()).append('\n');
        switch (mount.volume()) {
          case PodContainer.EmptyDir ignored -> mounts.append("rw\t").append(mount.path()).append('\n');
          case PodContainer.KubeApiAccess access -> mounts.append("ro\t").append(mount.path()).append('\t')
              .append(source(access.name())).append('\n');
          case PodContainer.ServiceAccountToken token -> mounts.append("ro\t").append(mount.path()).append('\t')
              .append(source(token.name())).append('\n');
          case PodContainer.ObjectVolume object -> {
            Path source = volumes.get(object.name());
            if (source == null && !object.optional()) {
              throw new IllegalArgumentException("no content for required volume " + object);
            }
            mounts.append("ro\t").append(mount.path()).append('\t')
                .append(source != null ? source : Files.createDirectories(plan.resolve("empty-volume")))
                .append('\n');
          }
        }
      }
      write(plan.resolve("mountpoints"), mountpoints.toString());
      write(plan.resolve("mounts"), mounts.toString());
      write(plan.resolve("masks"), String.join("\n", masks) + "\n");
      write(plan.resolve("user"), image.uid() + ":" + image.gid());
      write(plan.resolve("workdir"), image.workdir());
      writeNul(plan.resolve("env"), envList(Map.of(), environment()));
      writeNul(plan.resolve("argv"), image.commandLine(container.args()));
      if (layerTar != null) {
        write(plan.resolve("export-layer"), layerTar.toAbsolutePath().toString());
      }
      if (!probe.isEmpty()) {
        writeNul(plan.resolve("probe"), probe);
      }
      Process process = new ProcessBuilder("bash", Repo.script("tools/image/sandbox.sh").toString(),
          plan.toString(), out.toString()).redirectErrorStream(true)
          .redirectOutput(dir.resolve("sandbox.log").toFile()).start();
      return new Running(process, out, dir.resolve("sandbox.log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A started sandbox; closing it sends SIGTERM (as at Pod deletion) and waits for everything to exit. */
  record Running(Process process, Path out, Path sandboxLog) implements AutoCloseable {
    String containerLog() {
      Path log = out.resolve("container.log");
      return Files.exists(log) ? Repo.read(log) : "";
    }

    String describe() {
      return "sandbox.log:\n" + Repo.read(sandboxLog) + "\ncontainer.log (tail):\n"
          + String.join("\n", containerLog().lines().toList().reversed().stream().limit(60).toList().reversed());
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private Path source(String volume) {
    Path source = volumes.get(volume);
    if (source == null) {
      throw new IllegalArgumentException("no content for volume " + volume);
    }
    return source;
  }

  private static List<String> envList(Map<String, String> first, Map<String, String> then) {
    Map<String, String> all = new LinkedHashMap<>(first);
    all.putAll(then);
    List<String> list = new ArrayList<>();
    all.forEach((k, v) -> list.add(k + "=" + v));
    return list;
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text.endsWith("\n") || text.isEmpty() ? text : text + "\n");
  }

  private static void writeNul(Path file, List<String> items) throws IOException {
    StringBuilder b = new StringBuilder();
    items.forEach(i -> b.append(i).append('\0'));
    Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
  }
}
