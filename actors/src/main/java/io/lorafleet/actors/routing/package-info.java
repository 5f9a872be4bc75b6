/**
 * Requests across the fleet. Every serving node announces its capacity and live load
 * ({@link io.lorafleet.actors.routing.LoadReporter}, a {@link io.lorafleet.actors.routing.NodeAnnouncement} in
 * Distributed Data); every node keeps a {@link io.lorafleet.actors.routing.FleetView} of the announcements,
 * the adapter placements and the members' reachability, and routes with the
 * {@link io.lorafleet.actors.placement.RoutingPolicy}. A request for another node goes through a
 * {@link io.lorafleet.actors.routing.RequestRelay} on the receiving node to the serving node's
 * {@link io.lorafleet.actors.routing.GenerationService}; the tokens come back one message each
 * ({@link io.lorafleet.actors.routing.RelayEvent}, Protobuf on the wire), and the relay retries on another node
 * when the serving one fails. A request routed to its own node goes to the same service directly. Either
 * way it runs in the one generation pipeline, {@link io.lorafleet.actors.routing.ServedGeneration}: lease
 * the adapter, submit to the batch builder, stream the events with cancellation, return the lease. A
 * client that leaves cancels its request wherever it is, also before it was admitted (its adapter still
 * loading on the serving node): the HTTP layer tells the {@link io.lorafleet.actors.routing.GenerationRouter}
 * by request id, the relay sends {@link io.lorafleet.actors.routing.GenerationService.Cancel} on to the
 * serving node at once, and a pipeline cancelled before admission answers with a
 * {@link io.lorafleet.actors.routing.RequestCancelledException} and never reaches the engine.
 */
package io.lorafleet.actors.routing;
