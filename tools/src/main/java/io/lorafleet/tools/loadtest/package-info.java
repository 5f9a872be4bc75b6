/**
 * Benchmarks of a running node: {@code lorafleet loadtest}, an open-loop load generator ({@link
 * io.lorafleet.tools.loadtest.LoadGenerator}: Poisson arrivals, Zipf adapter popularity, streamed responses so
 * that time to first token is measured, adapter cache hit rates from the node's {@code /metrics}) over the
 * tools' {@link io.lorafleet.tools.client.GenerationClient}, reported as a {@link
 * io.lorafleet.tools.loadtest.LoadTestReport} (JSON with mergeable latency histograms) and a {@link
 * io.lorafleet.tools.loadtest.LoadTestTable}; {@code lorafleet loadtest-compare}, which merges and compares
 * reports; and {@code lorafleet make-adapters}, which writes any number of random-weight copies of a PEFT
 * adapter to serve. With {@code --hostile-rate}, a {@link io.lorafleet.tools.loadtest.HostileLoad} runs next to the
 * load (a soak of the node's bounds: the well-behaved requests' latencies with and without it, the hostile
 * requests' statuses). {@code lorafleet loadtest-priority} ({@link io.lorafleet.tools.loadtest.PriorityLoad}) is the
 * overload measurement of priority classes: an interactive client's time to first token alone and under a batch
 * flood far above capacity, with and without classes, and the batch client's completed work.
 */
package io.lorafleet.tools.loadtest;
