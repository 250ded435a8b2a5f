package dev.istiod.configstore.validation;

import dev.istiod.model.Config;

/**
 * Decides whether one config object is valid. There is exactly one validator per kind, shared
 * by the admission webhook and every config source, so "valid" means the same everywhere.
 *
 * <p>Implementations are stateless and thread-safe, and never throw for bad input: every
 * problem is reported in the result.
 */
@FunctionalInterface
public interface Validator {
  ValidationResult validate(Config config);

  /** A validator that accepts everything; for kinds that have no rules of their own. */
  static Validator none() {
    return c -> ValidationResult.ok();
  }
}
