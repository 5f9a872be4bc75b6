/**
 * The {@code lorafleet} command line (picocli): {@code generate} and {@code bench} here; modules on the
 * class path add commands such as {@code serve} through {@link io.lorafleet.runtime.cli.CliCommandProvider}.
 */
package io.lorafleet.runtime.cli;
