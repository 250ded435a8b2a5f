/** Placeholder until the webhook issue lands. */
package dev.istiod.webhook;
