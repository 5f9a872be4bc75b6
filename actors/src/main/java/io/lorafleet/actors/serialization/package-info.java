/**
 * The bottom of cross-node messaging: {@link io.lorafleet.actors.serialization.CrossNode}, the marker of every
 * message and replicated value that may travel between nodes (reference.conf binds it to the Protobuf
 * serializer), and {@link io.lorafleet.actors.serialization.WireProtocol}, the protocol versions this release
 * writes and reads. This package depends on nothing above it; how the messages are written, the schemas'
 * rules, the bounds on decoding and the measurements against Kryo are in {@code io.lorafleet.actors.protocol}.
 */
package io.lorafleet.actors.serialization;
