/**
 * Growable arrays of primitives for the hot paths that build index tables (the vocabulary trie of
 * constrained decoding, the device backend's step plans): no boxing, no dependencies.
 */
package io.lorafleet.runtime.primitives;
