/**
 * The {@code lorafleet} command line (picocli): {@code generate} ({@link
 * io.lorafleet.runtime.cli.GenerateTextCommand}: text for a file of requests or one prompt, in this process)
 * here; modules on the class path add commands through {@link io.lorafleet.runtime.cli.CliCommandProvider}
 * ({@code serve} from actors/, the measuring tools {@code bench}, {@code gpu-bench}, {@code loadtest}, {@code
 * loadtest-compare}, {@code make-adapters} and {@code simulate} from tools/). {@link
 * io.lorafleet.runtime.cli.EngineOptions} is the engine option mixin every command that runs a model shares.
 *
 * <h2>Names of settings</h2>
 * One suffix per meaning, in every module: {@code *Options} hold command-line flags (picocli, e.g. {@link
 * io.lorafleet.runtime.cli.EngineOptions}); {@code *Settings} are typed views of the HOCON configuration
 * ({@code lorafleet { }}, e.g. the actors' {@code NodeSettings}); {@code *Config} is what a component is
 * constructed with, whatever it was read from ({@link io.lorafleet.runtime.engine.EngineConfig}, {@link
 * io.lorafleet.runtime.engine.SchedulerConfig}, {@link io.lorafleet.runtime.backend.BackendConfig}); the
 * records of a model's own files keep the file's Hugging Face name ({@code config.json} is {@link
 * io.lorafleet.runtime.format.LlamaConfig}, {@code adapter_config.json} {@link
 * io.lorafleet.runtime.format.AdapterConfig}).
 */
package io.lorafleet.runtime.cli;
