package dev.istiod.webhook.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Both webhook configuration controllers against fabric8's mock apiserver. */
@EnableKubernetesMockClient(crud = true)
class WebhookControllersTest {
  private static final String NS = "istio-system";
  private static final Backoff FAST = Backoff.exponential(Duration.ofMillis(20), Duration.ofMillis(200));

  KubernetesMockServer server;
  KubernetesClient client;

  private final AtomicReference<byte[]> ca = new AtomicReference<>(pem("root-1"));
  private WebhookCertPatcher patcher;
  private ValidationWebhookController validation;

  @AfterEach
  void stop() {
    if (patcher != null) {
      patcher.close();
    }
    if (validation != null) {
      validation.close();
    }
  }

  @Test
  void injectorWebhooks_ofOurRevision_getTheCaBundle_othersAreLeftAlone() {
    client.resource(mutating("istio-sidecar-injector", "default", "rev.namespace.sidecar-injector.istio.io",
        "object.sidecar-injector.istio.io", "policy.example.com")).create();
    client.resource(mutating("istio-sidecar-injector-canary", "canary", "rev.namespace.sidecar-injector.istio.io"))
        .create();

    startPatcher();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(caBundles(mwc("istio-sidecar-injector"))).containsExactly(b64("root-1"), b64("root-1"), ""));
    assertThat(caBundles(mwc("istio-sidecar-injector-canary"))).containsExactly("");
  }

  @Test
  void configurationCreatedLater_andCaRotation_arePatched() {
    startPatcher();
    client.resource(mutating("istio-sidecar-injector", "default", "namespace.sidecar-injector.istio.io")).create();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(caBundles(mwc("istio-sidecar-injector"))).containsExactly(b64("root-1")));

    ca.set(pem("root-2"));
    patcher.caBundleChanged();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(caBundles(mwc("istio-sidecar-injector"))).containsExactly(b64("root-2")));
  }

  @Test
  void validatingWebhooks_getTheCaBundle_butStayIgnoreWhileTheProbeConfigIsNotRejected() {
    client.resource(validating("istio-validator-istio-system", "default", "Ignore")).create();

    startValidation();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ValidatingWebhookConfiguration v = vwc("istio-validator-istio-system");
      assertThat(v.getWebhooks()).extracting(w -> w.getClientConfig().getCaBundle()).containsOnly(b64("root-1"));
      assertThat(v.getWebhooks()).extracting(ValidatingWebhook::getFailurePolicy).containsOnly("Ignore");
    });
  }

  @Test
  void failurePolicy_switchesToFail_onceTheDryRunIsDenied() {
    server.expect().post().withPath("/apis/networking.istio.io/v1/namespaces/istio-system/gateways?dryRun=All")
        .andReturn(400, new StatusBuilder().withCode(400).withStatus("Failure").withMessage(
            "admission webhook \"rev.validation.istio.io\" denied the request: configuration is invalid: "
                + "\"internal.istio.io/webhook-always-reject\" annotation found, rejecting").build())
        .always();
    client.resource(validating("istio-validator-istio-system", "default", "Ignore")).create();
    client.resource(validating("istiod-default-validator", "default", "Ignore")).create();
    client.resource(validating("istio-validator-canary-istio-system", "canary", "Ignore")).create();

    startValidation();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      for (String name : List.of("istio-validator-istio-system", "istiod-default-validator")) {
        ValidatingWebhookConfiguration v = vwc(name);
        assertThat(v.getWebhooks()).extracting(ValidatingWebhook::getFailurePolicy).containsOnly("Fail");
        assertThat(v.getWebhooks()).extracting(w -> w.getClientConfig().getCaBundle()).containsOnly(b64("root-1"));
      }
    });
    assertThat(vwc("istio-validator-canary-istio-system").getWebhooks())
        .extracting(ValidatingWebhook::getFailurePolicy).containsOnly("Ignore");
  }

  private void startPatcher() {
    patcher = new WebhookCertPatcher(client, new WebhookControllers.Options("default", Duration.ZERO), ca::get,
        FAST, WebhookControllers.executor("test-patcher"));
    patcher.start();
  }

  private void startValidation() {
    validation = new ValidationWebhookController(client, new WebhookControllers.Options("default", Duration.ZERO),
        NS, ca::get, FAST, WebhookControllers.executor("test-validation"));
    validation.start();
  }

  private MutatingWebhookConfiguration mwc(String name) {
    return client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(name).get();
  }

  private ValidatingWebhookConfiguration vwc(String name) {
    return client.admissionRegistration().v1().validatingWebhookConfigurations().withName(name).get();
  }

  private static List<String> caBundles(MutatingWebhookConfiguration c) {
    return c.getWebhooks().stream().map(w -> w.getClientConfig().getCaBundle() == null ? ""
        : w.getClientConfig().getCaBundle()).toList();
  }

  private static MutatingWebhookConfiguration mutating(String name, String revision, String... webhooks) {
    MutatingWebhookConfigurationBuilder b = new MutatingWebhookConfigurationBuilder().withNewMetadata()
        .withName(name).withLabels(Map.of("istio.io/rev", revision)).endMetadata();
    for (String w : webhooks) {
      b.addNewWebhook().withName(w).withNewClientConfig().withNewService().withName("istiod").withNamespace(NS)
          .withPath("/inject").endService().endClientConfig().withSideEffects("None")
          .withAdmissionReviewVersions("v1").endWebhook();
    }
    return b.build();
  }

  private static ValidatingWebhookConfiguration validating(String name, String revision, String failurePolicy) {
    return new ValidatingWebhookConfigurationBuilder().withNewMetadata().withName(name)
        .withLabels(Map.of("istio.io/rev", revision)).endMetadata()
        .addNewWebhook().withName("rev.validation.istio.io").withFailurePolicy(failurePolicy)
        .withNewClientConfig().withNewService().withName("istiod").withNamespace(NS).withPath("/validate")
        .endService().endClientConfig().withSideEffects("None").withAdmissionReviewVersions("v1").endWebhook()
        .build();
  }

  private static byte[] pem(String name) {
    return ("-----BEGIN CERTIFICATE-----\n" + name + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.UTF_8);
  }

  private static String b64(String name) {
    return Base64.getEncoder().encodeToString(pem(name));
  }
}
