/**
 * The {@code lorafleet} command line (picocli): {@code generate} here; modules on the class path add commands
 * through {@link io.lorafleet.runtime.cli.CliCommandProvider} ({@code serve} from actors/, the measuring tools
 * {@code bench}, {@code gpu-bench}, {@code loadtest}, {@code loadtest-compare}, {@code make-adapters} and
 * {@code simulate} from tools/). {@link io.lorafleet.runtime.cli.EngineOptions} is the engine option mixin every
 * command that runs a model shares.
 */
package io.lorafleet.runtime.cli;
