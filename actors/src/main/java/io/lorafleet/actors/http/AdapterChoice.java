package io.lorafleet.actors.http;

/**
 * The adapter a request names: a null {@code id} for the base model; {@code autoSource} (a checked source
 * spec) registers the adapter under {@code id} on first use.
 */
record AdapterChoice(String id, String autoSource) {
  static final AdapterChoice BASE = new AdapterChoice(null, null);
}
