/** Prometheus metrics of a node: HTTP requests, latencies, engine load, adapter cache per tier. */
package io.lorafleet.actors.metrics;
