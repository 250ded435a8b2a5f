package dev.istiod.webhook.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** What both webhook configuration controllers share: options and the event plumbing. */
public final class WebhookControllers {
  private WebhookControllers() {}

  /**
   * @param revision istiod's {@code REVISION}; only configurations labelled
   *     {@code istio.io/rev=<revision>} are touched
   * @param resync how often every watched configuration is checked again even without events
   *     (catches a CA bundle change nobody announced); zero for never
   */
  public record Options(String revision, Duration resync) {
    public Options {
      Objects.requireNonNull(revision, "revision");
      Objects.requireNonNull(resync, "resync");
    }

    public static Options of(String revision) {
      return new Options(revision, Duration.ofMinutes(1));
    }
  }

  static final String REVISION_LABEL = "istio.io/rev";

  /** Enqueues every added or updated object by name (deletions need nothing). */
  static <T extends HasMetadata> ResourceEventHandler<T> enqueue(ReconcileQueue queue) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        queue.add(obj.getMetadata().getName());
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        queue.add(newObj.getMetadata().getName());
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }

  static ScheduledExecutorService executor(String name) {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }
}
