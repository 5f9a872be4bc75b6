/**
 * Starting a serving node: settings from HOCON (CLI flags override), the {@code serve} command, the
 * {@link io.lorafleet.actors.node.NodeGuardian} that wires the actors and the HTTP server together (and only
 * that), {@link io.lorafleet.actors.node.ClusterJoin} (bootstrap, seed nodes or a one-member cluster),
 * {@link io.lorafleet.actors.node.NodeDrain} (a drain: stop accepting, finish, leave), and
 * {@link io.lorafleet.actors.node.LoraFleetNode}, a running node as tests and the CLI hold it.
 */
package io.lorafleet.actors.node;
