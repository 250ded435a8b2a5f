package dev.istiod.e2e.kube;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One workload's sidecar as a Pod would have it: a {@link TestHost} of its own (the Pod's network namespace and
 * IP), a {@link TcpRelay} from the host's machine-side address to istiod's secure gRPC port (istiod listens on
 * loopback only), and a real {@link PilotAgentProcess} with its upstream Envoy inside the host. Closing it stops
 * the agent, the relay and the host.
 */
final class PilotAgentPod implements AutoCloseable {
  private final TestHost host;
  private final TcpRelay relay;
  private final PilotAgentProcess agent;

  private PilotAgentPod(TestHost host, TcpRelay relay, PilotAgentProcess agent) {
    this.host = host;
    this.relay = relay;
    this.agent = agent;
  }

  static PilotAgentPod start(PilotAgentProcess.Workload workload, int istiodSecurePort, String token,
      String rootCertPem, Map<String, String> extraEnv, Path workDir) {
    return start(workload, istiodSecurePort, token, rootCertPem, extraEnv, workDir, host -> { });
  }

  /**
   * Like the other start; {@code beforeAgent} runs once the host exists and before the agent starts, for what a
   * Pod has before its sidecar runs: the Pod object at the host's address, the application, routes.
   */
  static PilotAgentPod start(PilotAgentProcess.Workload workload, int istiodSecurePort, String token,
      String rootCertPem, Map<String, String> extraEnv, Path workDir, Consumer<TestHost> beforeAgent) {
    TestHost host = TestHost.create();
    TcpRelay relay = null;
    try {
      beforeAgent.accept(host);
      relay = TcpRelay.start(host.machineAddress(), istiodSecurePort);
      String discoveryAddress = host.machineAddress() + ":" + relay.port();
      PilotAgentProcess agent = PilotAgentProcess.start(host, workload, discoveryAddress, token, rootCertPem,
          extraEnv, workDir);
      return new PilotAgentPod(host, relay, agent);
    } catch (RuntimeException | Error e) {
      if (relay != null) {
        relay.close();
      }
      host.close();
      throw e;
    }
  }

  PilotAgentProcess agent() {
    return agent;
  }

  TestHost host() {
    return host;
  }

  @Override
  public void close() {
    try {
      agent.close();
    } finally {
      try {
        relay.close();
      } finally {
        host.close();
      }
    }
  }

  @Override
  public String toString() {
    return agent + " on " + host;
  }
}
