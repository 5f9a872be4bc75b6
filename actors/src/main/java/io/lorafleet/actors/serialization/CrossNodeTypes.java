package io.lorafleet.actors.serialization;

import java.util.List;

/**
 * The cross-node types one package contributes to the {@link KryoMessageSerializer}: each package that has
 * {@link CrossNode} messages lists them in an implementation of its own, and {@code
 * lorafleet.serialization.cross-node-types} (reference.conf) names the implementations, so the serializer
 * depends on no package above it. Implementations have a public no-argument constructor.
 */
public interface CrossNodeTypes {
  /**
   * The types (with the array and enum types their fields need), in a fixed order: the order over all
   * configured contributions gives Kryo's registration ids, so existing entries never move; new types are
   * appended to the last contribution, or in a new one appended to the list.
   */
  List<Class<?>> types();
}
