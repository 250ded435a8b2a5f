package dev.istiod.xds.simulation;

import java.util.ArrayList;
import java.util.List;

/** Collects a call's progress while one simulation run walks it; confined to that run. */
final class ResultBuilder {
  final Call call;
  final List<String> trace = new ArrayList<>();
  String listener = "";
  String filterChain = "";
  int filterChainIndex = -1;
  String routeConfig = "";
  String virtualHost = "";
  String route = "";
  Action action = new Action.None();

  ResultBuilder(Call call) {
    this.call = call;
  }

  Result fail(Failure failure, String why) {
    trace.add(why);
    return build(failure);
  }

  Result build(Failure failure) {
    return new Result(call, listener, filterChain, filterChainIndex, routeConfig, virtualHost, route, action,
        failure, trace);
  }
}
