/** Galley's validating webhook: the AdmissionReview envelope around the kind registry's validators. */
package dev.istiod.webhook.validation;
