package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The workload a pod belongs to, guessed from its controller as upstream does
 * (GetDeployMetaFromPod): a ReplicaSet named {@code <deployment>-<pod-template-hash>} stands for
 * its Deployment, a Job named {@code <cronjob>-<8..10 digits>} for its CronJob, and so on. It
 * names the workload ({@code ISTIO_META_WORKLOAD_NAME}) and the owner
 * ({@code ISTIO_META_OWNER}) of the injected proxy.
 *
 * @param apiVersion the controller's apiVersion ({@code v1} for a bare pod)
 * @param kind the controller's kind ({@code Pod} for a bare pod)
 */
record DeployMeta(String name, String namespace, String apiVersion, String kind) {
  private static final Pattern CRONJOB_JOB = Pattern.compile("(.+)-\\d{8,10}$");

  static DeployMeta fromPod(JsonNode pod) {
    JsonNode meta = pod.path("metadata");
    String podName = meta.path("name").asText("");
    String namespace = meta.path("namespace").asText("");
    String name = podName;
    String apiVersion = "v1";
    String kind = "Pod";
    if (!meta.path("generateName").asText("").isEmpty()) {
      JsonNode controller = null;
      for (JsonNode ref : meta.path("ownerReferences")) {
        if (ref.path("controller").asBoolean(false)) {
          controller = ref;
          break;
        }
      }
      if (controller != null) {
        apiVersion = controller.path("apiVersion").asText("");
        kind = controller.path("kind").asText("");
        name = controller.path("name").asText("");
        JsonNode labels = meta.path("labels");
        String hash = labels.path("pod-template-hash").asText("");
        String rolloutHash = labels.path("rollouts-pod-template-hash").asText("");
        String deploymentConfig = labels.path("deploymentconfig").asText("");
        if (kind.equals("ReplicaSet") && !hash.isEmpty() && name.endsWith(hash)) {
          name = trimSuffix(name, "-" + hash);
          kind = "Deployment";
        } else if (kind.equals("ReplicaSet") && !rolloutHash.isEmpty() && name.endsWith(rolloutHash)) {
          name = trimSuffix(name, "-" + rolloutHash);
          kind = "Rollout";
          apiVersion = "v1alpha1";
        } else if (kind.equals("ReplicationController") && !deploymentConfig.isEmpty()) {
          name = deploymentConfig;
          kind = "DeploymentConfig";
        } else if (kind.equals("Job")) {
          Matcher m = CRONJOB_JOB.matcher(name);
          if (m.matches()) {
            name = m.group(1);
            kind = "CronJob";
            apiVersion = "batch/v1";
          }
        }
      }
    }
    if (name.isEmpty()) {
      name = podName;
    }
    return new DeployMeta(name, namespace, apiVersion, kind);
  }

  private static String trimSuffix(String s, String suffix) {
    return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
  }
}
