/**
 * {@code lorafleet wire-bench}: the cross-node messages of the relay path (a token event per generated token,
 * the relayed request, the final result) serialized and read back per second and their bytes, through the
 * Protobuf protocol of {@code io.lorafleet.actors.protocol} and through the Kryo encoding of the release before
 * it. The figures and the decision they led to are in that package's documentation.
 */
package io.lorafleet.tools.wirebench;
