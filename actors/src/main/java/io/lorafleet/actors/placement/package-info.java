/**
 * Placement decisions of the fleet, as plain Java with no actor or Pekko types, so that the serving nodes
 * and the simulator ({@code lorafleet simulate}, in tools/) run the same code: {@link
 * io.lorafleet.actors.placement.NodeCapacity} and {@link io.lorafleet.actors.placement.NodeLoad} (what a node
 * announces), {@link io.lorafleet.actors.placement.AllocationPolicy} (where adapter shards and replicas go, by
 * capacity and current load), {@link io.lorafleet.actors.placement.RoutingPolicy} (which node serves a request:
 * cache affinity, then power of two choices on queue depth), {@link
 * io.lorafleet.actors.placement.ReplicationPolicy} (replica counts from request rates, with hysteresis) and
 * {@link io.lorafleet.actors.placement.ScalingPolicy} (scale the fleet out or in, with hysteresis and a
 * cool-down).
 *
 * <p>Around the policies, the two planners the cluster supervisor executes: {@link
 * io.lorafleet.actors.placement.ReplicationPlanner} (announced loads and the current {@link
 * io.lorafleet.actors.placement.ReplicaPlacement}s in, the placement changes and the nodes that unload out;
 * also the admin's replica counts, moves and rebalances; the simulator replays the same rounds) and {@link
 * io.lorafleet.actors.placement.ScalingPlanner} (add or remove a node, with the pending and draining nodes'
 * bookkeeping). Every policy and planner is deterministic given its inputs (randomness comes in as a
 * {@link java.util.random.RandomGenerator}) and keeps no hidden state: what must be remembered between
 * decisions is passed in and handed back as a record.
 */
package io.lorafleet.actors.placement;
