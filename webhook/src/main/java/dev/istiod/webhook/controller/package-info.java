/**
 * Controllers that keep istiod's webhook configurations working: the injector's caBundle, and
 * the validator's caBundle and failure policy.
 */
package dev.istiod.webhook.controller;
