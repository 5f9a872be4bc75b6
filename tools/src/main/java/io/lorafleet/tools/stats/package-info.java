/**
 * The statistics every tool shares: {@link io.lorafleet.tools.stats.LatencyHistogram} (latency
 * distributions on HdrHistogram: nearest-rank percentiles within 0.1%, mergeable through their encoding) and
 * {@link io.lorafleet.tools.stats.ZipfDistribution} (adapter popularity for the load test and the simulator).
 */
package io.lorafleet.tools.stats;
