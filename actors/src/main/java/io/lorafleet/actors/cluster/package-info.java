/**
 * The fleet as a whole: the {@link io.lorafleet.actors.cluster.ClusterSupervisor} (a cluster singleton that
 * replicates hot adapters, moves adapters on request and scales the fleet through a
 * {@link io.lorafleet.actors.cluster.Provisioner}: {@link io.lorafleet.actors.cluster.LocalProcessProvisioner}
 * or {@link io.lorafleet.actors.cluster.KubernetesProvisioner}) and the
 * {@link io.lorafleet.actors.cluster.AdapterShardAllocation} that places adapter shards by capacity and load.
 * Decisions come from the pure policies of {@link io.lorafleet.actors.placement}.
 */
package io.lorafleet.actors.cluster;
