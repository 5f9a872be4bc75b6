/**
 * Requests across the fleet. Every serving node announces its capacity and live load
 * ({@link io.lorafleet.actors.routing.LoadReporter}, a {@link io.lorafleet.actors.routing.NodeAnnouncement} in
 * Distributed Data); every node keeps a {@link io.lorafleet.actors.routing.FleetView} of the announcements,
 * the adapter placements and the members' reachability, and routes with the
 * {@link io.lorafleet.actors.placement.RoutingPolicy}. A request for another node goes through a
 * {@link io.lorafleet.actors.routing.RequestRelay} on the receiving node to the serving node's
 * {@link io.lorafleet.actors.routing.GenerationService}; the tokens come back one message each
 * ({@link io.lorafleet.actors.routing.RelayEvent}, Kryo-serialized), and the relay retries on another node
 * when the serving one fails.
 */
package io.lorafleet.actors.routing;
