/**
 * The sidecar injector: {@link dev.istiod.webhook.inject.InjectionWebhook} (the admission
 * handler), {@link dev.istiod.webhook.inject.Injector} (one pod in, the injected pod and its JSON
 * Patch out), the injector ConfigMap's settings, and the cluster inputs it watches. The standard
 * sidecar template is built in code and yields the pod upstream Istio 1.28's Helm template does.
 */
package dev.istiod.webhook.inject;
