/**
 * The measuring tools of LoraFleet, in their own module ({@code tools/}, artifact {@code lorafleet-tools}):
 * they depend on the product (runtime, cuda, actors) and nothing in the product depends on them; the
 * server's jars and the Docker image carry none of it. {@link io.lorafleet.tools.ToolCommands} adds their
 * commands to {@code lorafleet} through the CLI's provider SPI.
 *
 * <ul>
 *   <li>{@link io.lorafleet.tools.bench}: {@code lorafleet bench} (the engine on the CPU against this
 *       machine's memory bandwidth).</li>
 *   <li>{@link io.lorafleet.tools.gpubench}: {@code lorafleet gpu-bench} (LoraFleet on a GPU against HF
 *       transformers + PEFT).</li>
 *   <li>{@link io.lorafleet.tools.loadtest}: {@code loadtest}, {@code loadtest-compare}, {@code
 *       make-adapters} (a running node under open-loop load).</li>
 *   <li>{@link io.lorafleet.tools.simulation}: {@code simulate} (a fleet of 1000 nodes, discrete events).</li>
 *   <li>{@link io.lorafleet.tools.synthetic}: synthetic checkpoints and adapters the benchmarks run on.</li>
 *   <li>Shared by all of them: {@link io.lorafleet.tools.stats} (latency distributions, Zipf popularity),
 *       {@link io.lorafleet.tools.report} (text tables, PNG charts, the machine) and
 *       {@link io.lorafleet.tools.client} (the one HTTP client that drives a node).</li>
 * </ul>
 */
package io.lorafleet.tools;
