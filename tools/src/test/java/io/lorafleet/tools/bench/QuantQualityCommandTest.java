package io.lorafleet.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.cli.LoraFleetCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code lorafleet quant-quality} on the fixture model: the figures it prints, and bad input refused. */
class QuantQualityCommandTest {
  @Test
  void fixtureModelReportsAgreementErrorsAndSpeed() {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      code = LoraFleetCli.execute("quant-quality", "--model", Fixtures.model().toString(), "--prompts", "2",
          "--tokens", "4", "--adapter", Fixtures.adapter("adapter-all-r16").toString(), "--speed-rounds", "1",
          "--speed-steps", "2", "--threads", "2");
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, out);
    assertTrue(out.contains("base model: 8 positions over 2 prompts: top-1 agreement"), out);
    assertTrue(out.contains("adapter adapter-all-r16: 8 positions"), out);
    assertTrue(out.contains("int8 speedup"), out);
  }

  @Test
  void outOfRangeSizesAreBadInput() {
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, LoraFleetCli.execute("quant-quality", "--model",
        Fixtures.model().toString(), "--prompts", "0"));
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, LoraFleetCli.execute("quant-quality", "--model",
        Fixtures.model().toString(), "--speed-rounds", "-1"));
  }
}
