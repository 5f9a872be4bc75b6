/**
 * Benchmarks of a running node: {@code lorafleet loadtest}, an open-loop load generator (Poisson arrivals,
 * Zipf adapter popularity, streamed responses so that time to first token is measured, adapter cache hit
 * rates from the node's {@code /metrics}), and {@code lorafleet make-adapters}, which writes any number of
 * random-weight copies of a PEFT adapter to serve. Client side only: nothing here runs inside a node.
 */
package io.lorafleet.tools.loadtest;
