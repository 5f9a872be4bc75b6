/**
 * A discrete-event simulator of a LoraFleet fleet at internet scale (the default: 1000 GPU nodes, 100k
 * adapters, Zipf(1.1) popularity with bursts, about 2.8 million requests), run by {@code lorafleet simulate}.
 * It replays one generated request trace to two ways of running the fleet and reports, for each, the
 * GPU-resident hit rate, the busiest node's load over the mean, the adapter bytes moved to devices, queueing
 * delays, throughput and dropped requests ({@link io.lorafleet.tools.simulation.PolicyReport}), as a table,
 * JSON and a PNG plot.
 *
 * <h2>The policies</h2>
 * <ul>
 *   <li><b>LoraFleet</b> ({@link io.lorafleet.tools.simulation.LoraFleetPlacement}): the real placement
 *       classes of {@code io.lorafleet.actors.placement}, not copies: {@code RoutingPolicy.choose}
 *       (rendezvous-hash affinity, power of two choices among an adapter's replicas, spill when none has
 *       room) and the cluster supervisor's own {@code ReplicationPlanner} (fleet-wide rates, {@code
 *       ReplicationPolicy.decide} for replica counts with hysteresis, {@code AllocationPolicy.placeReplicas}
 *       for replica nodes by capacity, hosted replicas and load), over {@code NodeLoad}/{@code NodeCapacity}
 *       as announced. {@code LoraFleetPlacement} is the only class that touches that package; it plays the
 *       actors around it: load reporters (announce every 0.5 s, rates weighted over 2 s), gossip (1 s until
 *       routers see an announcement), one router per node (every node receives requests; a router adds what
 *       it sent to a node since that node's last visible announcement) and the cluster supervisor (a
 *       replication round every second, whose changes it replays). Shard allocation ({@code
 *       AllocationPolicy.allocate}: where the adapter records live) and scaling ({@code ScalingPlanner}) do
 *       not change where requests run in a fleet of fixed size, so they are not simulated.</li>
 *   <li><b>consistent hashing</b> ({@link io.lorafleet.tools.simulation.ConsistentHashing}), the
 *       baseline: a ketama ring (160 points per node), every adapter on its ring node, no replication, no
 *       load awareness.</li>
 * </ul>
 *
 * <h2>The model</h2>
 * <ul>
 *   <li>Events ({@link io.lorafleet.tools.simulation.EventQueue}): a heap of timestamped events, ties in
 *       scheduling order; arrivals come from the trace. Everything random derives from the seed: the same
 *       seed gives the same report (the two policies run on two threads, each on its own fleet).</li>
 *   <li>Workload ({@link io.lorafleet.tools.simulation.TraceSpec},
 *       {@link io.lorafleet.tools.simulation.RequestTrace}): Poisson arrivals, adapter by Zipf rank over a
 *       random permutation of the adapters; bursts start as a Poisson process and multiply one adapter's
 *       rate (rank log-uniform in 50..5000) by 10-50 for 30-90 s. Prompts log-normal (mean 512 tokens),
 *       outputs exponential (mean 128). Adapter sizes: a mix of ranks 8-64 and target modules on a
 *       Llama-3-8B shape, 45 MB on average ({@link io.lorafleet.tools.simulation.AdapterPopulation}).</li>
 *   <li>Node ({@link io.lorafleet.tools.simulation.GpuNode},
 *       {@link io.lorafleet.tools.simulation.GpuNodeModel}): device slots and a host-memory tier, both
 *       evicted by the serving node's own {@code CachePolicy} (LRU with frequency, entries in use never
 *       evicted); a miss transfers the adapter over one serial channel per node (disk at 3 GB/s when it is
 *       not in host memory, then PCIe at 24 GB/s); requests wait for their adapter, then queue (FIFO, at
 *       most 256 waiting, more are refused) for a continuously batched engine of 64 sequences whose step
 *       time grows with the batch and the distinct adapters in it. The engine is simulated by its step count
 *       (one event per completion, not per step); prefill is a number of extra steps (512-token chunks).
 *       Requests waiting over 60 s are dropped. No KV-cache limit beyond the batch size, no network
 *       latency, no failures; all nodes alike.</li>
 *   <li>Measures: requests that arrive in the first 20 s (warm-up) are simulated but not measured; the
 *       fleet starts cold (empty caches), so first loads of rarely used adapters still count as misses
 *       after the warm-up. A hit is a request admitted on a node whose device already holds its adapter
 *       (loaded, not loading). Node load is the number of requests routed to the node (refused ones
 *       included); max/mean over the whole measured run is the target figure, the worst 10 s window is also
 *       reported. Queueing delay runs from arrival to admission into a batch, adapter transfer included, kept in
 *       a {@code LatencyHistogram} (its percentiles within 0.1%).</li>
 *   <li>Output: {@link io.lorafleet.tools.simulation.SimulationReport} (the JSON), {@link
 *       io.lorafleet.tools.simulation.SimulationTable} (the text table) and {@link
 *       io.lorafleet.tools.simulation.SimulationChart} (the PNG).</li>
 * </ul>
 */
package io.lorafleet.tools.simulation;
