/**
 * The few exception types that carry a meaning callers act on: the HTTP layer maps each to one status
 * code, the CLI prints its message and exits non-zero. Expected errors never need a stack trace.
 */
package io.lorafleet.runtime.errors;
