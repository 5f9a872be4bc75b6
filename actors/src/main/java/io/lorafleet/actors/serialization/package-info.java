/**
 * How messages cross nodes: one Kryo-based Pekko serializer with explicit class registration (unknown
 * classes are refused), records through Kryo's record serializer, actor refs through
 * {@link org.apache.pekko.actor.typed.ActorRefResolver}. Java serialization is off. The registered types
 * come from the packages that own them ({@link io.lorafleet.actors.serialization.CrossNodeTypes}, listed in
 * {@code lorafleet.serialization.cross-node-types}): this package depends on nothing above it.
 */
package io.lorafleet.actors.serialization;
