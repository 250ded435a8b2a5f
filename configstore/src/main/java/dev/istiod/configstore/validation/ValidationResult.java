package dev.istiod.configstore.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link Validator} found: errors make an object invalid (the webhook denies it, a config
 * source keeps its last good version), warnings are shown to the user but accepted.
 *
 * <p>Messages follow upstream Istio's wording so that users moving from upstream istiod see the
 * same text in {@code kubectl apply} output.
 */
public record ValidationResult(List<String> errors, List<String> warnings) {
  private static final ValidationResult OK = new ValidationResult(List.of(), List.of());

  public ValidationResult {
    errors = List.copyOf(Objects.requireNonNull(errors, "errors"));
    warnings = List.copyOf(Objects.requireNonNull(warnings, "warnings"));
  }

  public static ValidationResult ok() {
    return OK;
  }

  public static ValidationResult error(String message) {
    return new ValidationResult(List.of(message), List.of());
  }

  public boolean isValid() {
    return errors.isEmpty();
  }

  /** This result followed by {@code other}'s errors and warnings. */
  public ValidationResult and(ValidationResult other) {
    if (other.errors.isEmpty() && other.warnings.isEmpty()) {
      return this;
    }
    List<String> e = new ArrayList<>(errors);
    e.addAll(other.errors);
    List<String> w = new ArrayList<>(warnings);
    w.addAll(other.warnings);
    return new ValidationResult(e, w);
  }

  /** The errors joined for a one-line message, e.g. in a log line or an admission response. */
  public String errorSummary() {
    return String.join("; ", errors);
  }
}
