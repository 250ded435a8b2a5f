package dev.istiod.webhook.controller;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps istiod's ValidatingWebhookConfigurations working (upstream's validation controller):
 * every configuration labelled with istiod's revision gets istiod's CA bundle in each webhook,
 * and a {@code failurePolicy} of {@code Ignore} (how the chart installs it, so a cluster without
 * istiod is not locked) is switched to {@code Fail} once validation demonstrably works: a
 * dry-run create of an invalid Gateway is refused with "denied the request". A missing Gateway
 * CRD or a webhook that cannot dry-run also counts as ready, as upstream. Until then the
 * configuration is retried with exponential backoff, 100ms up to a minute, forever.
 */
public final class ValidationWebhookController implements AutoCloseable {
  static final String FAIL = "Fail";
  private static final String ALWAYS_REJECT = "internal.istio.io/webhook-always-reject";
  private static final ResourceDefinitionContext GATEWAYS = new ResourceDefinitionContext.Builder()
      .withGroup("networking.istio.io").withVersion("v1").withKind("Gateway").withPlural("gateways")
      .withNamespaced(true).build();
  private static final Logger log = LoggerFactory.getLogger(ValidationWebhookController.class);

  private final KubernetesClient client;
  private final WebhookControllers.Options options;
  private final String istioNamespace;
  private final Supplier<byte[]> caBundle;
  private final ScheduledExecutorService executor;
  private final ReconcileQueue queue;
  private volatile SharedIndexInformer<ValidatingWebhookConfiguration> informer;
  // Confined to the queue's executor.
  private boolean dryRunRejected;

  /**
   * @param istioNamespace where the probe Gateway is dry-run created (istiod's namespace)
   * @param caBundle istiod's CA bundle as PEM; read on every reconciliation
   */
  public ValidationWebhookController(KubernetesClient client, WebhookControllers.Options options,
      String istioNamespace, Supplier<byte[]> caBundle) {
    this(client, options, istioNamespace, caBundle, Backoff.exponential(Duration.ofMillis(100), Duration.ofMinutes(1)),
        WebhookControllers.executor("validation-webhook-controller"));
  }

  ValidationWebhookController(KubernetesClient client, WebhookControllers.Options options, String istioNamespace,
      Supplier<byte[]> caBundle, Backoff backoff, ScheduledExecutorService executor) {
    this.client = Objects.requireNonNull(client, "client");
    this.options = Objects.requireNonNull(options, "options");
    this.istioNamespace = Objects.requireNonNull(istioNamespace, "istioNamespace");
    this.caBundle = Objects.requireNonNull(caBundle, "caBundle");
    this.executor = executor;
    this.queue = new ReconcileQueue("validation controller", executor, backoff, this::reconcile);
  }

  public synchronized void start() {
    if (informer != null) {
      return;
    }
    SharedIndexInformer<ValidatingWebhookConfiguration> inf = client.admissionRegistration().v1()
        .validatingWebhookConfigurations().withLabel(WebhookControllers.REVISION_LABEL, options.revision())
        .runnableInformer(options.resync().toMillis());
    inf.addEventHandler(WebhookControllers.enqueue(queue));
    // fabric8 gives up on an informer whose first LIST fails; keep trying, as client-go does.
    inf.exceptionHandler((started, t) -> {
      log.warn("ValidatingWebhookConfiguration informer: {}; retrying", t.toString());
      return true;
    });
    informer = inf;
    inf.start();
  }

  public boolean hasSynced() {
    SharedIndexInformer<?> inf = informer;
    return inf != null && inf.hasSynced();
  }

  /** istiod's CA bundle changed: check every configuration now. */
  public void caBundleChanged() {
    SharedIndexInformer<ValidatingWebhookConfiguration> inf = informer;
    if (inf != null) {
      inf.getStore().listKeys().forEach(queue::add);
    }
  }

  private ReconcileQueue.Outcome reconcile(String name) {
    ValidatingWebhookConfiguration current = informer.getStore().getByKey(name);
    if (current == null) {
      return ReconcileQueue.Outcome.DONE; // deleted; a new one brings a new event
    }
    String bundle = CaBundles.current(caBundle);
    if (bundle == null) {
      log.warn("no CA bundle yet for validating webhook configuration {}; will retry", name);
      return ReconcileQueue.Outcome.RETRY;
    }
    boolean caChange = current.getWebhooks().stream().anyMatch(w -> !bundle.equals(caBundleOf(w)));
    boolean ignoring = current.getWebhooks().stream()
        .anyMatch(w -> w.getFailurePolicy() != null && !FAIL.equals(w.getFailurePolicy()));
    if (!caChange && !ignoring) {
      return ReconcileQueue.Outcome.DONE;
    }
    boolean failClose = !ignoring || readyForFailClose();
    ValidatingWebhookConfiguration updated = client.getKubernetesSerialization().clone(current);
    for (ValidatingWebhook w : updated.getWebhooks()) {
      if (w.getClientConfig() == null) {
        w.setClientConfig(new WebhookClientConfig());
      }
      w.getClientConfig().setCaBundle(bundle);
      if (failClose) {
        w.setFailurePolicy(FAIL);
      }
    }
    try {
      client.admissionRegistration().v1().validatingWebhookConfigurations().resource(updated).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        // Expected, not alarming: the informer had not yet seen the last update (ours, right after the
        // switch to fail-closed, or another replica's); the retry reads the newer version.
        log.info("validating webhook configuration {} changed meanwhile; will retry", name);
      } else {
        log.warn("updating validating webhook configuration {} failed: {}", name, e.getMessage());
      }
      return ReconcileQueue.Outcome.RETRY;
    }
    log.info("updated validating webhook configuration {} (caBundle{})", name, failClose && ignoring
        ? ", failurePolicy Fail" : "");
    return failClose ? ReconcileQueue.Outcome.DONE : ReconcileQueue.Outcome.RETRY;
  }

  private static String caBundleOf(ValidatingWebhook w) {
    return w.getClientConfig() == null ? null : w.getClientConfig().getCaBundle();
  }

  private boolean readyForFailClose() {
    if (dryRunRejected) {
      return true;
    }
    Optional<String> notReady = dryRunOfInvalidConfig();
    if (notReady.isPresent()) {
      log.info("not ready to switch validation to fail-closed: {}", notReady.get());
      return false;
    }
    log.info("validation webhook rejected the invalid probe config; switching to fail-closed");
    dryRunRejected = true;
    caBundleChanged(); // every configuration, so all of them switch
    return true;
  }

  /** Empty when validation is shown to work; else why not. */
  private Optional<String> dryRunOfInvalidConfig() {
    GenericKubernetesResource gateway = new GenericKubernetesResourceBuilder()
        .withApiVersion("networking.istio.io/v1").withKind("Gateway")
        .withNewMetadata().withName("invalid-gateway").withNamespace(istioNamespace)
        .withLabels(Map.of(WebhookControllers.REVISION_LABEL, options.revision()))
        .withAnnotations(Map.of(ALWAYS_REJECT, "true")).endMetadata()
        .withAdditionalProperties(Map.of("spec", Map.of()))
        .build();
    var resource = client.genericKubernetesResources(GATEWAYS).inNamespace(istioNamespace).resource(gateway).dryRun();
    try {
      try {
        resource.create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        resource.update();
      }
      return Optional.of("dummy invalid config not rejected");
    } catch (KubernetesClientException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("denied the request")) {
        return Optional.empty();
      }
      if (message.contains("the server could not find the requested resource") || missingCrd(e)) {
        log.warn("missing Gateway CRD, cannot check validation; assuming it is ready");
        return Optional.empty();
      }
      if (message.contains("does not support dry run")) {
        log.warn("a validating webhook does not support dry run, cannot check validation; assuming it is ready");
        return Optional.empty();
      }
      return Optional.of("dummy invalid config rejected for the wrong reason: " + message);
    }
  }

  /**
   * A 404 not about the namespace: the Gateway API path itself is unknown. (Go's client words
   * this "the server could not find the requested resource"; fabric8 reports the bare 404.)
   */
  private static boolean missingCrd(KubernetesClientException e) {
    if (e.getCode() != 404) {
      return false;
    }
    var status = e.getStatus();
    return status == null || status.getDetails() == null || !"namespaces".equals(status.getDetails().getKind());
  }

  @Override
  public synchronized void close() {
    SharedIndexInformer<?> inf = informer;
    if (inf != null) {
      inf.close();
    }
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
