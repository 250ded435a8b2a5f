package dev.istiod.model;

/** Receives config store changes. Called on the store's single event thread. */
@FunctionalInterface
public interface ConfigEventHandler {
  void onEvent(ConfigEvent event);
}
