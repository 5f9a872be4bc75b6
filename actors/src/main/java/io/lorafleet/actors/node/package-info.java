/**
 * Starting a serving node: settings from HOCON (CLI flags override), the {@code serve} command, the
 * {@link io.lorafleet.actors.node.NodeGuardian} that wires the actors and the HTTP server together (and only
 * that), {@link io.lorafleet.actors.node.ClusterJoin} (bootstrap, seed nodes or a one-member cluster),
 * {@link io.lorafleet.actors.node.NodeDrain} (a drain: stop accepting, finish or cut with an error event at a
 * deadline, leave; the same sequence for the admin's drain, the supervisor's scale-in and SIGTERM, through
 * coordinated shutdown), {@link io.lorafleet.actors.node.ClusterTransport} (checks the cluster TLS key
 * material before start), and {@link io.lorafleet.actors.node.LoraFleetNode}, a running node as tests and
 * the CLI hold it.
 *
 * <p>Names of settings (as in every module, see {@code io.lorafleet.runtime.cli}): {@code *Settings} are typed
 * views of the HOCON configuration ({@link io.lorafleet.actors.node.NodeSettings} for {@code lorafleet},
 * {@link io.lorafleet.actors.node.FleetSettings} for {@code lorafleet.cluster}); {@code *Options} are
 * command-line flags; {@code *Config} is what a component is constructed with (e.g. {@code
 * AdapterStore.Config}, {@code LoadReporter.Config}).
 */
package io.lorafleet.actors.node;
