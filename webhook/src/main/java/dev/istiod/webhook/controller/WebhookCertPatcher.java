package dev.istiod.webhook.controller;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@code caBundle} of the sidecar injector's MutatingWebhookConfigurations current
 * (upstream's WebhookCertPatcher): in every configuration labelled with istiod's revision,
 * each webhook whose name ends with {@code sidecar-injector.istio.io} gets istiod's CA bundle.
 * A failed update (say, a conflict with another istiod replica) is retried, quickly five times,
 * then every minute, forever.
 */
public final class WebhookCertPatcher implements AutoCloseable {
  /** Upstream's injector webhook name suffix. */
  public static final String WEBHOOK_SUFFIX = "sidecar-injector.istio.io";
  private static final Logger log = LoggerFactory.getLogger(WebhookCertPatcher.class);

  private final KubernetesClient client;
  private final WebhookControllers.Options options;
  private final Supplier<byte[]> caBundle;
  private final ScheduledExecutorService executor;
  private final ReconcileQueue queue;
  private volatile SharedIndexInformer<MutatingWebhookConfiguration> informer;

  /** @param caBundle istiod's CA bundle as PEM; read on every reconciliation */
  public WebhookCertPatcher(KubernetesClient client, WebhookControllers.Options options, Supplier<byte[]> caBundle) {
    this(client, options, caBundle,
        Backoff.fastSlow(Duration.ofMillis(100), Duration.ofMinutes(1), 5), WebhookControllers.executor("webhook-patcher"));
  }

  WebhookCertPatcher(KubernetesClient client, WebhookControllers.Options options, Supplier<byte[]> caBundle,
      Backoff backoff, ScheduledExecutorService executor) {
    this.client = Objects.requireNonNull(client, "client");
    this.options = Objects.requireNonNull(options, "options");
    this.caBundle = Objects.requireNonNull(caBundle, "caBundle");
    this.executor = executor;
    this.queue = new ReconcileQueue("webhook patcher", executor, backoff, this::reconcile);
  }

  /** Starts watching; configurations that already exist are patched right away. */
  public synchronized void start() {
    if (informer != null) {
      return;
    }
    SharedIndexInformer<MutatingWebhookConfiguration> inf = client.admissionRegistration().v1()
        .mutatingWebhookConfigurations().withLabel(WebhookControllers.REVISION_LABEL, options.revision())
        .runnableInformer(options.resync().toMillis());
    inf.addEventHandler(WebhookControllers.enqueue(queue));
    // fabric8 gives up on an informer whose first LIST fails; keep trying, as client-go does.
    inf.exceptionHandler((started, t) -> {
      log.warn("MutatingWebhookConfiguration informer: {}; retrying", t.toString());
      return true;
    });
    informer = inf;
    inf.start();
  }

  public boolean hasSynced() {
    return informer != null && informer.hasSynced();
  }

  /** istiod's CA bundle changed: check every configuration now. */
  public void caBundleChanged() {
    if (informer != null) {
      informer.getStore().listKeys().forEach(queue::add);
    }
  }

  private ReconcileQueue.Outcome reconcile(String name) {
    MutatingWebhookConfiguration config = informer.getStore().getByKey(name);
    if (config == null) {
      return ReconcileQueue.Outcome.DONE;
    }
    String rev = config.getMetadata().getLabels() == null ? null
        : config.getMetadata().getLabels().get(WebhookControllers.REVISION_LABEL);
    if (!options.revision().equals(rev)) {
      return ReconcileQueue.Outcome.DONE; // another revision's: not ours to patch
    }
    String bundle = CaBundles.current(caBundle);
    if (bundle == null) {
      log.warn("no CA bundle yet for webhook configuration {}; will retry", name);
      return ReconcileQueue.Outcome.RETRY;
    }
    MutatingWebhookConfiguration updated = client.getKubernetesSerialization().clone(config);
    boolean found = false;
    boolean changed = false;
    for (MutatingWebhook wh : updated.getWebhooks()) {
      if (wh.getName() != null && wh.getName().endsWith(WEBHOOK_SUFFIX)) {
        found = true;
        if (wh.getClientConfig() == null) {
          wh.setClientConfig(new WebhookClientConfig());
        }
        if (!bundle.equals(wh.getClientConfig().getCaBundle())) {
          wh.getClientConfig().setCaBundle(bundle);
          changed = true;
        }
      }
    }
    if (!found || !changed) {
      return ReconcileQueue.Outcome.DONE;
    }
    try {
      client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(updated).update();
      log.info("patched the CA bundle of mutating webhook configuration {}", name);
      return ReconcileQueue.Outcome.DONE;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        // Another replica (or our own earlier update, not yet in the informer) changed it: retry on the newer one.
        log.info("mutating webhook configuration {} changed meanwhile; will retry", name);
      } else {
        log.warn("patching mutating webhook configuration {} failed: {}", name, e.getMessage());
      }
      return ReconcileQueue.Outcome.RETRY;
    }
  }

  @Override
  public synchronized void close() {
    if (informer != null) {
      informer.close();
    }
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
