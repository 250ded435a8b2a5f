package dev.istiod.xds.simulation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions over one simulated call. Every failure message carries the whole
 * {@link Result#describe() walk} of the call, so a failing test shows where the call went
 * instead. {@code expect*} methods chain.
 */
public final class CallAssert extends AbstractAssert<CallAssert, Result> {
  private final Simulation simulation;

  CallAssert(Result actual, Simulation simulation) {
    super(actual, CallAssert.class);
    this.simulation = simulation;
  }

  public Result result() {
    return actual;
  }

  public CallAssert expectListener(String name) {
    return expect("listener", name, actual.listener());
  }

  public CallAssert expectFilterChain(String name) {
    return expect("filter chain", name, actual.filterChain());
  }

  /** The listener's default filter chain handled the call. */
  public CallAssert expectDefaultFilterChain() {
    if (actual.filterChainIndex() != Result.DEFAULT_FILTER_CHAIN) {
      failWithMessage("expected the default filter chain%n%s", actual.describe());
    }
    return this;
  }

  public CallAssert expectRouteConfig(String name) {
    return expect("route config", name, actual.routeConfig());
  }

  public CallAssert expectVirtualHost(String name) {
    return expect("virtual host", name, actual.virtualHost());
  }

  public CallAssert expectRoute(String name) {
    return expect("route", name, actual.route());
  }

  /** Forwarded to exactly this one cluster (whether or not it then fails as a black hole). */
  public CallAssert expectCluster(String name) {
    if (!(actual.action() instanceof Action.Forward f) || !f.cluster().equals(name)) {
      failWithMessage("expected cluster <%s> but the action is <%s>%n%s", name, actual.action(), actual.describe());
    }
    return this;
  }

  /** Split across exactly these clusters with these weights, in any order. */
  public CallAssert expectWeightedClusters(Map<String, Integer> weights) {
    Map<String, Integer> got = new LinkedHashMap<>();
    if (actual.action() instanceof Action.Split s) {
      s.weighted().forEach(w -> got.merge(w.cluster(), w.weight(), Integer::sum));
    }
    if (!got.equals(weights)) {
      failWithMessage("expected weighted clusters %s but the action is <%s>%n%s", weights, actual.action(),
          actual.describe());
    }
    return this;
  }

  public CallAssert expectRedirect(int status, String location) {
    if (!(actual.action() instanceof Action.Redirect r) || r.status() != status || !r.location().equals(location)) {
      failWithMessage("expected redirect %d to <%s> but the action is <%s>%n%s", status, location, actual.action(),
          actual.describe());
    }
    return this;
  }

  public CallAssert expectDirectResponse(int status) {
    if (!(actual.action() instanceof Action.DirectResponse d) || d.status() != status) {
      failWithMessage("expected a direct response %d but the action is <%s>%n%s", status, actual.action(),
          actual.describe());
    }
    return this;
  }

  public CallAssert expectFailure(Failure failure) {
    if (actual.failure() != failure) {
      failWithMessage("expected failure %s but got %s%n%s", failure, actual.failure(), actual.describe());
    }
    return this;
  }

  /** The call reached an action (a cluster that exists and is not a black hole, or a local answer). */
  public CallAssert expectOk() {
    return expectFailure(Failure.NONE);
  }

  /** The single cluster the call is forwarded to has exactly these endpoints ({@code ip:port}), in any order. */
  public CallAssert expectEndpoints(String... endpoints) {
    List<String> clusters = actual.clusters();
    if (clusters.size() != 1) {
      failWithMessage("expected one cluster to list endpoints of%n%s", actual.describe());
    }
    List<String> got = simulation.endpoints(clusters.get(0)).stream().sorted().toList();
    List<String> want = List.of(endpoints).stream().sorted().toList();
    if (!got.equals(want)) {
      failWithMessage("expected endpoints %s of %s but got %s%n%s", want, clusters.get(0), got, actual.describe());
    }
    return this;
  }

  private CallAssert expect(String what, String want, String got) {
    if (!Objects.equals(want, got)) {
      failWithMessage("expected %s <%s> but got <%s>%n%s", what, want, got, actual.describe());
    }
    return this;
  }
}
