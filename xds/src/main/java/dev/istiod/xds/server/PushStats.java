package dev.istiod.xds.server;

/**
 * Counters of the push pipeline, for tests and debug pages.
 *
 * @param fullPushes pushes that rebuilt the push context (debounced releases and forced pushes)
 * @param incrementalPushes pushes that reused the push context: endpoints (EDS) or secrets (SDS) only
 * @param connections streams currently connected
 * @param queued proxies waiting in the push queue
 * @param inFlight proxies being pushed
 * @param idle true when nothing is being debounced, queued or pushed
 */
public record PushStats(long fullPushes, long incrementalPushes, int connections, int queued, int inFlight, boolean idle) {}
