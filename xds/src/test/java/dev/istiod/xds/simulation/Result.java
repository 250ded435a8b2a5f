package dev.istiod.xds.simulation;

import java.util.List;
import java.util.Objects;

/**
 * Where a call went, step by step. A step the call never reached is {@code ""} (names) or
 * {@code -1} (the chain index); {@code failure} says why it stopped, {@link Failure#NONE} when it
 * reached its {@code action}. {@code trace} explains each decision in words, for failure messages.
 *
 * @param listener name of the listener that handled the connection
 * @param filterChain name of the filter chain chosen ("" if unnamed)
 * @param filterChainIndex index in {@code filter_chains}, {@link #DEFAULT_FILTER_CHAIN} for the
 *     default filter chain, -1 if none
 * @param routeConfig the route configuration's name (RDS name, or the inline one's name)
 * @param virtualHost the virtual host's name
 * @param route the route's name
 */
public record Result(Call call, String listener, String filterChain, int filterChainIndex, String routeConfig,
    String virtualHost, String route, Action action, Failure failure, List<String> trace) {

  public static final int DEFAULT_FILTER_CHAIN = -2;

  public Result {
    Objects.requireNonNull(call, "call");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(failure, "failure");
    trace = List.copyOf(trace);
  }

  /** The clusters the call is forwarded to (one, several for a split, none for local answers and failures). */
  public List<String> clusters() {
    return action.clusters();
  }

  public boolean ok() {
    return failure == Failure.NONE;
  }

  /** A multi-line account of the call's path, for assertion messages. */
  public String describe() {
    StringBuilder s = new StringBuilder("call ").append(call).append('\n');
    s.append("  listener:      ").append(orDash(listener)).append('\n');
    s.append("  filter chain:  ").append(filterChainIndex == -1 ? "-" : orDash(filterChain)
        + (filterChainIndex == DEFAULT_FILTER_CHAIN ? " (default)" : " [" + filterChainIndex + "]")).append('\n');
    s.append("  route config:  ").append(orDash(routeConfig)).append('\n');
    s.append("  virtual host:  ").append(orDash(virtualHost)).append('\n');
    s.append("  route:         ").append(orDash(route)).append('\n');
    s.append("  action:        ").append(action).append('\n');
    s.append("  failure:       ").append(failure).append('\n');
    trace.forEach(t -> s.append("  | ").append(t).append('\n'));
    return s.toString();
  }

  private static String orDash(String s) {
    return s.isEmpty() ? "-" : s;
  }
}
