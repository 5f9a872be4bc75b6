/**
 * How messages cross nodes: one Kryo-based Pekko serializer with explicit class registration (unknown
 * classes are refused), records through Kryo's record serializer, actor refs through
 * {@link org.apache.pekko.actor.typed.ActorRefResolver}. Java serialization is off.
 */
package io.lorafleet.actors.serialization;
