/**
 * The fleet as a whole: the {@link io.lorafleet.actors.cluster.ClusterSupervisor} (a cluster singleton that
 * replicates hot adapters, moves adapters on request and scales the fleet through a
 * {@link io.lorafleet.actors.cluster.Provisioner}: {@link io.lorafleet.actors.cluster.LocalProcessProvisioner}
 * or {@link io.lorafleet.actors.cluster.KubernetesProvisioner}) and the
 * {@link io.lorafleet.actors.cluster.AdapterShardAllocation} that places adapter shards by capacity and load.
 * The supervisor decides nothing itself: it executes what the pure planners of {@link
 * io.lorafleet.actors.placement} ({@code ReplicationPlanner}, {@code ScalingPlanner}) plan from the
 * announcements and placements it reads from Distributed Data.
 */
package io.lorafleet.actors.cluster;
