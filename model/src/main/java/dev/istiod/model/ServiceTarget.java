package dev.istiod.model;

/**
 * A service port that a proxy's own workload implements, and the port the workload listens on:
 * what a sidecar builds inbound listeners and {@code inbound|port||} clusters from.
 */
public record ServiceTarget(Service service, ServicePort port, int targetPort) {}
