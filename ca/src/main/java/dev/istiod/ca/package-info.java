/** Placeholder until the ca issue lands. */
package dev.istiod.ca;
