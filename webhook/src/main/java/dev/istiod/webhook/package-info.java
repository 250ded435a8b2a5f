/**
 * Istiod's admission webhooks on {@code --httpsAddr} (15017): the HTTPS server and the
 * AdmissionReview envelope ({@link dev.istiod.webhook.AdmissionServer}), Galley's validation
 * ({@code validation}), the sidecar injector ({@code inject}) and the controllers that keep the
 * webhook configurations' CA bundles and failure policy current ({@code controller}).
 */
package dev.istiod.webhook;
