/**
 * How messages cross nodes: one Kryo-based Pekko serializer with explicit class registration (unknown
 * classes are refused), records through Kryo's record serializer, actor refs through
 * {@link org.apache.pekko.actor.typed.ActorRefResolver}. Java serialization is off. The registered types
 * come from the packages that own them ({@link io.lorafleet.actors.serialization.CrossNodeTypes}, listed in
 * {@code lorafleet.serialization.cross-node-types}): this package depends on nothing above it. Every length a
 * peer declares (arrays, strings) is checked against the bytes left in its message before anything is
 * allocated ({@link io.lorafleet.actors.serialization.LengthBoundedSerializers}); a malformed message is
 * refused, never an {@link java.lang.OutOfMemoryError}.
 */
package io.lorafleet.actors.serialization;
