package io.lorafleet.runtime.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.cli.EngineOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The native GEMM setting: parsing, the CLI flag and its error for a bad value. */
class NativeGemmSettingTest {
  @Command(name = "t")
  static final class Cmd {
    @Mixin
    EngineOptions options;
  }

  private static BackendConfig parse(String... args) {
    Cmd c = new Cmd();
    new CommandLine(c).parseArgs(args);
    return c.options.backendConfig();
  }

  @Test
  void parsesTheThreeValuesInAnyCase() {
    assertEquals(NativeGemm.AUTO, NativeGemm.parse(" Auto "));
    assertEquals(NativeGemm.ON, NativeGemm.parse("on"));
    assertEquals(NativeGemm.OFF, NativeGemm.parse("OFF"));
    var e = assertThrows(IllegalArgumentException.class, () -> NativeGemm.parse("fast"));
    assertTrue(e.getMessage().contains("auto, on or off") && e.getMessage().contains("fast"), e.getMessage());
  }

  @Test
  void theFlagSetsTheBackendConfigAndABadValueIsACliError() {
    assertEquals(NativeGemm.ON, parse("--native-gemm", "on", "--threads", "3").nativeGemm());
    assertEquals(3, parse("--native-gemm", "on", "--threads", "3").threads());
    assertEquals(NativeGemm.fromSystemProperty(), parse().nativeGemm());
    var e = assertThrows(CliInputException.class, () -> parse("--native-gemm", "maybe"));
    assertTrue(e.getMessage().startsWith("--native-gemm: "), e.getMessage());
  }

  @Test
  void offIsTheDefaultWithoutTheProperty() {
    if (System.getProperty(NativeGemm.PROPERTY) == null) {
      assertEquals(NativeGemm.OFF, BackendConfig.DEFAULTS.nativeGemm());
    }
  }
}
