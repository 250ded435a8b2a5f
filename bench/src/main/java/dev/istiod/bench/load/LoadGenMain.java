package dev.istiod.bench.load;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code loadgen}: simulated Envoy sidecars and gateways against a control plane's plaintext ADS port, measuring
 * initial convergence and, optionally, convergence after a VirtualService edit and after an endpoint change.
 * Run through {@code tools/loadgen.sh}; {@code --help} lists the flags.
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    version = "loadgen (istiod-java bench)",
    sortOptions = false,
    description = "Simulates Envoy sidecars and gateways over ADS (SotW and delta) against an xDS control plane and "
        + "measures phases: initial (all proxies get CDS, EDS, LDS, RDS), vs-edit (a route change reaches every "
        + "proxy) and eds-edit (an endpoint change reaches every proxy). Exit status: 0 when every proxy converged "
        + "in every phase and no response was invalid, 1 otherwise, 2 on bad usage.")
public final class LoadGenMain implements Callable<Integer> {
  @Option(names = "--xds-address", defaultValue = "127.0.0.1:15010", paramLabel = "HOST:PORT",
      description = "Plaintext ADS address of the control plane (default: ${DEFAULT-VALUE}).")
  private String xdsAddress;

  @Option(names = "--proxies", paramLabel = "N",
      description = "Sidecars to simulate (default: every line of --workloads, else 100).")
  private Integer proxies;

  @Option(names = "--gateways", defaultValue = "0", paramLabel = "G",
      description = "Ingress gateways to add (node type router, istio-system, istio=ingressgateway).")
  private int gateways;

  @Option(names = "--workloads", paramLabel = "FILE",
      description = "Tab-separated proxies: ip pod namespace serviceAccount labels [ports] [kind] (see README).")
  private Path workloads;

  @Option(names = "--delta-percent", defaultValue = "0", paramLabel = "P",
      description = "Share of proxies using delta xDS, 0-100 (default: ${DEFAULT-VALUE}; the rest use SotW).")
  private int deltaPercent;

  @Option(names = "--connect-rate", defaultValue = "0", paramLabel = "PER_SECOND",
      description = "New ADS streams per second (default 0: all at once). Upstream istiod admits 25/s by default.")
  private double connectRate;

  @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS",
      description = "Bound of each wait: a phase's convergence, the quiet after it, an edit command (default: ${DEFAULT-VALUE}).")
  private long timeoutSeconds;

  @Option(names = "--quiet-ms", defaultValue = "2000", paramLabel = "MS",
      description = "Quiet = no proxy received anything for this long (default: ${DEFAULT-VALUE}).")
  private long quietMs;

  @Option(names = "--vs-edit-cmd", paramLabel = "CMD",
      description = "Shell command that changes a route (e.g. kubectl apply of a VirtualService); enables vs-edit.")
  private String vsEditCmd;

  @Option(names = "--eds-edit-cmd", paramLabel = "CMD",
      description = "Shell command that changes the endpoints of --eds-cluster; enables eds-edit.")
  private String edsEditCmd;

  @Option(names = "--eds-cluster", paramLabel = "NAME",
      description = "EDS cluster (service name) the eds-edit waits for, e.g. outbound|80||svc-1.default.svc.cluster.local.")
  private String edsCluster;

  @Option(names = "--pid", paramLabel = "PID",
      description = "Control plane process: report its CPU-seconds per phase and VmRSS/VmHWM at each phase's end.")
  private Long pid;

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the report as JSON to FILE.")
  private Path out;

  @Option(names = "--threads", defaultValue = "2", paramLabel = "N",
      description = "gRPC callback threads of the generator (default: ${DEFAULT-VALUE}).")
  private int threads;

  @Option(names = "--istio-version", defaultValue = "1.31-dev", paramLabel = "VERSION",
      description = "ISTIO_VERSION node metadata (default: ${DEFAULT-VALUE}, the pin of tools/istio/install.sh).")
  private String istioVersion;

  @Option(names = "--envoy-version", defaultValue = "1.36.2", paramLabel = "X.Y.Z",
      description = "Envoy version in the node's user_agent_build_version (default: ${DEFAULT-VALUE}).")
  private String envoyVersion;

  @Option(names = "--cluster-id", defaultValue = "Kubernetes", paramLabel = "ID", description = "CLUSTER_ID (default: ${DEFAULT-VALUE}).")
  private String clusterId;

  @Option(names = "--mesh-id", defaultValue = "cluster.local", paramLabel = "ID", description = "MESH_ID (default: ${DEFAULT-VALUE}).")
  private String meshId;

  @Override
  public Integer call() throws Exception {
    PrintStream log = System.err;
    List<Workload> list = workloadList();
    int colon = xdsAddress.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("--xds-address must be HOST:PORT: " + xdsAddress);
    }
    String host = xdsAddress.substring(0, colon);
    int port = Integer.parseInt(xdsAddress.substring(colon + 1));
    if (edsEditCmd != null && edsCluster == null) {
      throw new IllegalArgumentException("--eds-edit-cmd needs --eds-cluster");
    }
    Duration timeout = Duration.ofSeconds(timeoutSeconds);
    ProcessProbe probe = pid == null ? null : ProcessProbe.of(pid);
    LoadGenerator.Options options = new LoadGenerator.Options(host, port, list, deltaPercent, connectRate, timeout,
        Duration.ofMillis(quietMs), threads,
        new EnvoyNode.Options(istioVersion, envoyVersion, clusterId, meshId, "cluster.local"), probe, log);

    Map<String, Object> run = new LinkedHashMap<>();
    run.put("target", xdsAddress);
    run.put("startedAt", Instant.now().toString());
    run.put("proxies", list.size());
    run.put("sidecars", list.stream().filter(w -> w.kind() == Workload.Kind.SIDECAR).count());
    run.put("gateways", list.stream().filter(w -> w.kind() == Workload.Kind.ROUTER).count());
    List<PhaseResult> phases = new ArrayList<>();
    Report report;
    try (LoadGenerator gen = new LoadGenerator(options)) {
      run.put("deltaProxies",
          gen.proxies().stream().filter(p -> p.protocol() == SimulatedProxy.Protocol.DELTA).count());
      run.put("connectRate", connectRate);
      run.put("quietMs", quietMs);
      run.put("timeoutSeconds", timeoutSeconds);
      run.put("controlPlanePid", pid);
      log.printf("loadgen: %d proxies (%s sidecars, %s gateways, %s delta) -> %s%n", list.size(), run.get("sidecars"),
          run.get("gateways"), run.get("deltaProxies"), xdsAddress);
      phases.add(gen.initial());
      log.println("loadgen: initial: " + phases.getLast().converged() + "/" + list.size() + " converged");
      if (vsEditCmd != null) {
        phases.add(gen.vsEdit(new ShellEdit(vsEditCmd, timeout, log)));
      }
      if (edsEditCmd != null) {
        phases.add(gen.edsEdit(new ShellEdit(edsEditCmd, timeout, log), edsCluster));
      }
      LoadContext ctx = gen.context();
      report = new Report(run, phases, ctx.totals().invalidResponses(), ctx.failuresByStatus(), ctx.problems());
    }
    report.print(System.out);
    if (out != null) {
      Files.writeString(out, report.json(), StandardCharsets.UTF_8);
    }
    return report.ok() ? 0 : 1;
  }

  private List<Workload> workloadList() throws java.io.IOException {
    List<Workload> list = new ArrayList<>();
    if (workloads != null) {
      List<Workload> file = Workloads.read(workloads);
      int n = proxies == null ? file.size() : proxies;
      if (n > file.size()) {
        throw new IllegalArgumentException("--proxies " + n + " but " + workloads + " lists " + file.size());
      }
      list.addAll(file.subList(0, n));
    } else {
      int n = proxies == null ? 100 : proxies;
      for (int i = 0; i < n; i++) {
        list.add(Workloads.sidecar(i));
      }
    }
    for (int i = 0; i < gateways; i++) {
      list.add(Workloads.gateway(i));
    }
    return list;
  }

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new LoadGenMain());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof IllegalArgumentException || e instanceof java.io.IOException) {
        cmd.getErr().println("loadgen: " + e.getMessage());
        return 2;
      }
      throw e;
    });
    System.exit(cli.execute(args));
  }
}
