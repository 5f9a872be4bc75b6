/**
 * Starting a serving node: settings from HOCON (CLI flags override), the {@code serve} command, the
 * {@link io.lorafleet.actors.node.NodeGuardian} that starts the actors and the HTTP server, and
 * {@link io.lorafleet.actors.node.LoraFleetNode}, a running node as tests and the CLI hold it.
 */
package io.lorafleet.actors.node;
