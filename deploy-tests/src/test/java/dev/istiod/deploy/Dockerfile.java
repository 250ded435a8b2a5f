package dev.istiod.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a Dockerfile says about the image it builds, read the way a builder reads it: the base image, the SHELL
 * for RUN steps, the COPY and RUN steps in order (with the WORKDIR each runs in), the USER and WORKDIR the
 * container starts with, and its ENTRYPOINT and CMD. Only the instructions deploy/image/Dockerfile uses are
 * understood; any other is an error, so that a new instruction cannot be silently left out of a test that
 * claims to run the image as defined.
 */
record Dockerfile(String baseImage, List<String> shell, List<Step> steps, String user, String workdir,
    List<String> entrypoint, List<String> cmd, List<Integer> exposedPorts) {
  private static final ObjectMapper JSON = new ObjectMapper();

  Dockerfile {
    shell = List.copyOf(shell);
    steps = List.copyOf(steps);
    entrypoint = List.copyOf(entrypoint);
    cmd = List.copyOf(cmd);
    exposedPorts = List.copyOf(exposedPorts);
  }

  /** One step that makes the image's filesystem. */
  sealed interface Step {}

  /** {@code COPY <source> <destination>}: a file of the build context placed at an absolute image path. */
  record Copy(String source, String destination) implements Step {}

  /** {@code RUN <script>} in shell form, run by {@link #shell()} as root in {@code workdir}. */
  record Run(String workdir, String script) implements Step {}

  /** The container's command line when the Pod gives {@code args} and no {@code command}. */
  List<String> commandLine(List<String> args) {
    List<String> all = new ArrayList<>(entrypoint);
    all.addAll(args);
    return List.copyOf(all);
  }

  /** The user's uid (a numeric USER; a name would need the image's /etc/passwd). */
  int uid() {
    return Integer.parseInt(user.split(":", 2)[0]);
  }

  int gid() {
    String[] parts = user.split(":", 2);
    return Integer.parseInt(parts.length == 2 ? parts[1] : parts[0]);
  }

  /** The value of {@code -XX:<name>=<value>} among the entrypoint's JVM options, if given. */
  Optional<String> jvmOption(String name) {
    String prefix = "-XX:" + name + "=";
    return jvmOptions().stream().filter(a -> a.startsWith(prefix)).map(a -> a.substring(prefix.length()))
        .findFirst();
  }

  /**
   * The entrypoint's JVM options (what precedes {@code -jar}), with each {@code @file} argument replaced by the
   * options in that file, as the java launcher does: the image path is mapped back to the build-context file
   * its COPY step took (in {@link Repo#root()}); in the file, options are separated by whitespace and {@code #}
   * starts a comment.
   */
  List<String> jvmOptions() {
    List<String> options = new ArrayList<>();
    for (String arg : entrypoint.subList(1, Math.max(1, entrypoint.indexOf("-jar")))) {
      if (!arg.startsWith("@")) {
        options.add(arg);
        continue;
      }
      String imagePath = arg.substring(1);
      String source = steps.stream().filter(Copy.class::isInstance).map(Copy.class::cast)
          .filter(c -> c.destination().equals(imagePath)).map(Copy::source).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no COPY step makes the argument file " + imagePath));
      for (String line : Repo.read(Repo.root().resolve(source)).lines().toList()) {
        String content = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
        if (content.contains("\"") || content.contains("'")) {
          throw new IllegalArgumentException("quoted options in " + source + " are not understood: " + line);
        }
        for (String option : content.strip().split("\\s+")) {
          if (!option.isEmpty()) {
            options.add(option);
          }
        }
      }
    }
    return List.copyOf(options);
  }

  static Dockerfile parse(String text) {
    Map<String, String> args = new java.util.HashMap<>();
    String base = null;
    List<String> shell = List.of("/bin/sh", "-c");
    List<Step> steps = new ArrayList<>();
    String user = "0:0";
    String workdir = "/";
    List<String> entrypoint = List.of();
    List<String> cmd = List.of();
    List<Integer> ports = new ArrayList<>();
    for (String line : logicalLines(text)) {
      String[] split = line.split("\\s+", 2);
      String instruction = split[0].toUpperCase(Locale.ROOT);
      String rest = split.length > 1 ? split[1].strip() : "";
      switch (instruction) {
        case "ARG" -> {
          String[] kv = rest.split("=", 2);
          args.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        case "FROM" -> base = substitute(rest.split("\\s+")[0], args);
        case "SHELL" -> shell = jsonArray(instruction, rest);
        case "RUN" -> steps.add(new Run(workdir, rest));
        case "COPY" -> {
          String[] parts = rest.split("\\s+");
          if (parts.length != 2 || parts[0].startsWith("--")) {
            throw new IllegalArgumentException("COPY: only 'COPY <file> <absolute path>' is understood: " + rest);
          }
          steps.add(new Copy(parts[0], parts[1]));
        }
        case "USER" -> user = rest;
        case "WORKDIR" -> workdir = rest.startsWith("/") ? rest : workdir + "/" + rest;
        case "EXPOSE" -> {
          for (String port : rest.split("\\s+")) {
            ports.add(Integer.parseInt(port.replace("/tcp", "")));
          }
        }
        case "ENTRYPOINT" -> entrypoint = jsonArray(instruction, rest);
        case "CMD" -> cmd = jsonArray(instruction, rest);
        default -> throw new IllegalArgumentException("instruction not understood: " + line);
      }
    }
    if (base == null) {
      throw new IllegalArgumentException("no FROM");
    }
    if (entrypoint.isEmpty()) {
      throw new IllegalArgumentException("no ENTRYPOINT in exec form");
    }
    return new Dockerfile(base, shell, steps, user, workdir, entrypoint, cmd, ports);
  }

  /** Instructions with their continuation lines joined; comments and parser directives dropped. */
  private static List<String> logicalLines(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      if (!current.toString().isBlank()) {
        lines.add(current.toString().strip());
      }
      current.setLength(0);
    }
    if (!current.isEmpty()) {
      lines.add(current.toString().strip());
    }
    return lines;
  }

  private static List<String> jsonArray(String instruction, String value) {
    try {
      return List.of(JSON.readValue(value, String[].class));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(instruction + " must be in exec form (a JSON array): " + value, e);
    }
  }

  private static String substitute(String value, Map<String, String> args) {
    String out = value;
    for (Map.Entry<String, String> arg : args.entrySet()) {
      out = out.replace("${" + arg.getKey() + "}", arg.getValue()).replace("$" + arg.getKey(), arg.getValue());
    }
    return out;
  }
}
