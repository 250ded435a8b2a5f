package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The runtime contract between deploy/image/Dockerfile and the chart's Deployment, proven without a container
 * engine: the image is built from the Dockerfile's own steps (its COPY of the jar, its RUN steps, among them the
 * ahead-of-time cache's training run, tools/image/train.sh) over this machine's root standing in for the base
 * image, and run as the kubelet would run the chart's {@code discovery} container (tools/image/sandbox.sh): the Dockerfile's ENTRYPOINT
 * with the Deployment's args, its env with fieldRefs resolved, its volumes, the image's USER with no privileges
 * and no capabilities, a read-only root with only the Pod's emptyDirs writable, its own network namespace (the
 * chart's default ports) and a memory limit set through the chart. In-cluster credentials are what a Pod gets:
 * KUBERNETES_SERVICE_HOST/PORT and the service account's token, ca.crt and namespace files.
 */
@Tag("e2e")
class ImageContractE2ETest {
  private static final String NS = Repo.ISTIO_NAMESPACE;
  private static final String POD = "istiod-5f8d7c9b6d-q2x7k";
  private static final String MEMORY_LIMIT = "1Gi";
  private static final Duration READY_BOUND = Duration.ofMinutes(3);
  private static final Pattern MAX_HEAP = Pattern.compile("-XX:MaxHeapSize=(\\d+)");
  /** Run by the sandbox as the container's user inside it, with istiod's process id as $1. */
  private static final String PROBE = """
      set -e
      grep -E '^(Uid|Gid|NoNewPrivs|CapEff|CapBnd):' "/proc/$1/status"
      jcmd "$1" VM.flags
      jcmd "$1" VM.info | grep -E '^CDS'
      """;

  /** The root filesystem and ENV standing in for the Dockerfile's FROM, which cannot be pulled here. */
  enum Base {
    /** This machine's root with the test's JDK: quick, but with the machine's trees to hide. */
    MACHINE_ROOT,
    /** Debian minbase + a Temurin runtime from PyPI (tools/image/base.sh): only registry packages, as CI has. */
    REGISTRY_PACKAGES
  }

  @ParameterizedTest(name = "base: {0}")
  @EnumSource(Base.class)
  void theImageRunAsTheChartsPod_isReadyLeadsAndPublishes_onAReadOnlyRootAsUser1337_withTheHeapFromTheLimit(
      Base base) throws Exception {
    Dockerfile image = Dockerfile.parse(Repo.read(Repo.root().resolve("deploy/image/Dockerfile")));
    String[] values = {"--set", "resources.requests.memory=" + MEMORY_LIMIT, "--set",
        "resources.limits.memory=" + MEMORY_LIMIT};
    List<ObjectNode> rendered = Manifests.parse(Helm.template("istiod", values).orFail().stdout());
    PodContainer container = PodContainer.of(Manifests.find(rendered, "Deployment", "istiod").orElseThrow(),
        "discovery");

    // What the kubelet checks before it starts the container at all.
    assertThat(container.readOnlyRootFilesystem()).as("chart: readOnlyRootFilesystem").isTrue();
    assertThat(container.runAsNonRoot()).as("chart: runAsNonRoot").isTrue();
    assertThat(container.runAsUser()).as("chart: no runAsUser, the image's USER is used").isEmpty();
    assertThat(image.uid()).as("image USER (runAsNonRoot needs a numeric, non-root user)").isEqualTo(1337);
    assertThat(image.gid()).isEqualTo(1337);
    long memory = container.memoryLimitBytes().orElseThrow();

    Path baseRoot = base == Base.MACHINE_ROOT ? Path.of("/") : registryBase();
    Map<String, String> baseEnv = base == Base.MACHINE_ROOT ? machineBaseEnv()
        : readEnv(baseRoot.resolveSibling("env"));
    List<String> masks = base == Base.MACHINE_ROOT ? machineMasks() : List.of();
    Path work = Repo.workDir("ImageContractE2ETest/" + base.name().toLowerCase(java.util.Locale.ROOT));
    try (TestCluster cluster = TestCluster.start(work.resolve("cluster"))) {
      cluster.kubectl(null, "create", "namespace", NS).orFail();
      for (String chart : List.of("base", "istiod")) {
        List<String> install = new ArrayList<>(List.of("install", chart, Repo.chart(chart).toString(), "-n", NS));
        if (chart.equals("istiod")) {
          install.addAll(List.of(values));
        }
        Command.Result installed = Helm.run(cluster.clientEnv(), install);
        assertThat(installed.ok()).as(installed::describe).isTrue();
      }
      Map<String, Path> volumes = volumes(cluster, container, work.resolve("volumes"));
      int apiServerPort = URI.create(cluster.apiServerUrl()).getPort();
      try (PodNetwork network = PodNetwork.create(apiServerPort)) {
        ContainerSandbox sandbox = new ContainerSandbox(image,
            container.withMount(new PodContainer.Mount("/var/run/secrets/kubernetes.io/serviceaccount", true,
                new PodContainer.KubeApiAccess("kube-api-access"))),
            baseRoot, baseEnv, Repo.root(), POD, NS, network, memory, volumes,
            kubeletEnv(network), masks, List.of("bash", "-c", PROBE, "probe"));
        // -Dimage.export=<file>: the image built on the registry base is also written as an OCI archive, once
        // it has passed.
        String export = System.getProperty("image.export", "");
        Path layerTar = base == Base.REGISTRY_PACKAGES && !export.isBlank() ? work.resolve("layer.tar") : null;
        ContainerSandbox.Running running = sandbox.start(work.resolve("pod"), layerTar);
        // Closing sends SIGTERM, as at Pod deletion: the log below includes the shutdown.
        try (running) {
          awaitReady(running, network.podIp(), container);
          await("the leader Lease held by the Pod").atMost(Duration.ofSeconds(60))
              .until(() -> cluster.kubectl(null, "get", "lease", "istio-namespace-controller-election", "-n", NS,
                  "-o", "jsonpath={.spec.holderIdentity}").stdout().strip(), POD::equals);
          await("istio-ca-root-cert published in default").atMost(Duration.ofSeconds(60))
              .until(() -> cluster.kubectl(null, "get", "configmap", "istio-ca-root-cert", "-n", "default", "-o",
                  "jsonpath={.data.root-cert\\.pem}").stdout(), pem -> pem.contains("BEGIN CERTIFICATE"));

          Path probe = running.out().resolve("probe.txt");
          // jcmd attaches through /tmp: without the chart's writable /tmp it fails with "Read-only file system".
          await("jcmd in the container").atMost(Duration.ofSeconds(90)).untilAsserted(() ->
              assertThat(Files.exists(probe) ? Repo.read(probe) : "(no output yet)").as(probe.toString())
                  .containsPattern(MAX_HEAP));
          assertTheProcess(Repo.read(probe), image, memory);
        }
        String log = running.containerLog();
        assertThat(Repo.read(running.out().resolve("image-layer.txt")).lines())
            .as("the image's layer").contains("./usr/local/bin/istiod.jar", "./opt/istiod/istiod.aot");
        assertThat(log).as("istiod's log (%s)", running.out())
            .doesNotContain("Read-only file system")
            .doesNotContainIgnoringCase("forbidden")
            .doesNotContainPattern("(?m)^\\s+at [\\w.$]+\\(")
            .doesNotContainPattern("(?i)\\[(warning|error)\\s*\\]\\[(cds|aot)");
        if (layerTar != null) {
          OciArchive.write(Path.of(export).toAbsolutePath(), baseRoot, layerTar, image, baseEnv,
              container.image(), work);
        }
      }
    }
  }

  /**
   * What the probe saw of the running process: the image's user, no privileges (securityContext), every -XX flag of
   * the ENTRYPOINT (with its flags file) in effect, the heap sized from the memory limit, and the AOT cache on.
   */
  private static void assertTheProcess(String probed, Dockerfile image, long memory) {
    String uid = image.uid() + "";
    String gid = image.gid() + "";
    assertThat(probed).as("the process's credentials")
        .containsPattern("(?m)^Uid:\\s+" + String.join("\\s+", uid, uid, uid, uid) + "$")
        .containsPattern("(?m)^Gid:\\s+" + String.join("\\s+", gid, gid, gid, gid) + "$")
        .containsPattern("(?m)^NoNewPrivs:\\s+1$")
        .containsPattern("(?m)^CapEff:\\s+0+$")
        .containsPattern("(?m)^CapBnd:\\s+0+$")
        .as("the image's ahead-of-time cache mapped (a bad cache is a warning in the log)")
        .containsPattern("(?m)^CDS: on");
    for (String flag : image.jvmOptions()) {
      if (flag.startsWith("-XX:")) {
        // VM.flags prints values in its own format (75.000000), so the name (with +/-, or up to "=").
        String name = flag.contains("=") ? flag.substring(0, flag.indexOf('=') + 1) : flag;
        assertThat(probed).as("the entrypoint's JVM flags in effect").contains(name);
      }
    }
    double percentage = Double.parseDouble(image.jvmOption("MaxRAMPercentage").orElseThrow());
    long expectedHeap = (long) (memory * percentage / 100);
    Matcher heap = MAX_HEAP.matcher(probed);
    assertThat(heap.find()).isTrue();
    // The JVM rounds the heap down to its alignment (at most a few MiB).
    assertThat(Long.parseLong(heap.group(1)))
        .as("MaxHeapSize: %s%% of the %s limit", percentage, MEMORY_LIMIT)
        .isBetween(expectedHeap - (2L << 20), expectedHeap);
  }

  /** The base image's ENV as eclipse-temurin sets it, with this JVM standing in for its Java runtime. */
  private static Map<String, String> machineBaseEnv() {
    String javaHome = System.getProperty("java.home");
    return Map.of("JAVA_HOME", javaHome,
        "PATH", javaHome + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG", "en_US.UTF-8");
  }

  /** What the kubelet adds: the Pod's hostname and the kubernetes Service's variables. */
  private static Map<String, String> kubeletEnv(PodNetwork network) {
    String host = PodNetwork.SERVICE_HOST;
    String port = Integer.toString(network.servicePort());
    return Map.of("HOSTNAME", POD, "KUBERNETES_SERVICE_HOST", host, "KUBERNETES_SERVICE_PORT", port,
        "KUBERNETES_SERVICE_PORT_HTTPS", port, "KUBERNETES_PORT", "tcp://" + host + ":" + port);
  }

  /** The base made by tools/image/base.sh (cached after its first run, which takes about a minute). */
  private static Path registryBase() {
    Command.Result made = Command.run(List.of("bash", Repo.script("tools/image/base.sh").toString()), Map.of(),
        null, Duration.ofMinutes(15));
    assertThat(made.ok()).as(made::describe).isTrue();
    return Path.of(made.stdout().strip().lines().reduce((first, second) -> second).orElseThrow());
  }

  /** NAME=value lines. */
  private static Map<String, String> readEnv(Path file) {
    Map<String, String> env = new java.util.LinkedHashMap<>();
    for (String line : Repo.read(file).lines().toList()) {
      if (line.contains("=")) {
        env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
      }
    }
    return env;
  }

  /** This machine's trees that no base image has (the repository, homes); the container must not need them. */
  private static List<String> machineMasks() {
    return List.of("/work", "/root", "/home").stream().filter(d -> Files.isDirectory(Path.of(d))).toList();
  }

  /**
   * The files of the Pod's token volumes, as the kubelet writes them: the projected istio-token (audience and
   * lifetime from the chart) and kube-api-access (token, ca.crt, namespace). The chart's optional Secrets and
   * ConfigMaps do not exist before istiod runs, so they stay empty.
   */
  private static Map<String, Path> volumes(TestCluster cluster, PodContainer container, Path dir)
      throws IOException {
    Map<String, Path> volumes = new HashMap<>();
    for (PodContainer.Mount mount : container.mounts()) {
      if (mount.volume() instanceof PodContainer.ServiceAccountToken token) {
        Path volume = Files.createDirectories(dir.resolve(token.name()));
        Repo.write(volume.resolve(token.path()), cluster.kubectl(null, "create", "token",
            container.serviceAccount(), "-n", NS, "--audience", token.audience(),
            "--duration=" + token.expirationSeconds() + "s").orFail().stdout().strip());
        volumes.put(token.name(), volume);
      }
    }
    Path access = Files.createDirectories(dir.resolve("kube-api-access"));
    Repo.write(access.resolve("token"), cluster.kubectl(null, "create", "token", container.serviceAccount(), "-n",
        NS, "--duration=3607s").orFail().stdout().strip());
    Files.copy(cluster.caCertificate(), access.resolve("ca.crt"));
    Repo.write(access.resolve("namespace"), NS);
    volumes.put("kube-api-access", access);
    return volumes;
  }

  /** GET on the readinessProbe's path and port at the Pod's IP, as the kubelet probes it. */
  private static void awaitReady(ContainerSandbox.Running running, String podIp, PodContainer container) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://" + podIp + ":" + container.readinessPort()
        + container.readinessPath())).timeout(Duration.ofSeconds(5)).build();
    await("readinessProbe " + ready.uri()).atMost(READY_BOUND).pollInterval(Duration.ofSeconds(1))
        .until(() -> {
          if (!running.process().isAlive()) {
            throw new AssertionError("the container exited:\n" + running.describe());
          }
          try {
            return client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
          } catch (IOException notYet) {
            return false;
          }
        });
  }
}
