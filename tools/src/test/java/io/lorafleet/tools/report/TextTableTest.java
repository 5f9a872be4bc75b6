package io.lorafleet.tools.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TextTableTest {
  @Test
  void padsColumnsAndRulesTheHeader() {
    String t = new TextTable("name", "a", "note").alignRight(1).add("longer name", "1234", "x").add("n", "5", "")
        .render();
    assertEquals("""
        name            a  note
        -----------  ----  ----
        longer name  1234  x
        n               5
        """, t);
  }

  @Test
  void numbersAlignEveryColumnButTheLabelRight() {
    String t = new TextTable("", "p50", "p99").numbers().add("ttft", "1.5", "12.0").render();
    assertEquals("""
              p50   p99
        ----  ---  ----
        ttft  1.5  12.0
        """, t);
    assertThrows(IllegalArgumentException.class, () -> new TextTable("a", "b").add("only one"));
  }

  @Test
  void rendersMarkdownWithTheAlignmentRow() {
    String md = new TextTable("adapters", "p50 ms", "note").alignRight(0).alignRight(1).add("1", "12.5", "x")
        .add("1000", "14.0", "y").markdown();
    assertEquals("""
        | adapters | p50 ms | note |
        |---:|---:|---|
        | 1 | 12.5 | x |
        | 1000 | 14.0 | y |
        """, md);
  }
}
