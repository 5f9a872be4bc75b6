package io.lorafleet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Java task rules give what ops/demo-model/tasks.py gives (expected strings printed by the Python rules). */
class DemoTasksTest {
  private static final String A = "Ivan, aged 34, works in Oslo. Ivan enjoys hot tea.";
  private static final String B = "In Zurich, Yara turned 7 last year.";
  private static final String C = "My friend Emma from Athens is 80.";

  @Test
  void rulesAgreeWithThePythonRules() {
    assertEquals("IVAN, AGED 34, WORKS IN OSLO. IVAN ENJOYS HOT TEA.", DemoTasks.expected("uppercase", A));
    assertEquals("Ivan, Aged 34, Works In Oslo. Ivan Enjoys Hot Tea.", DemoTasks.expected("title-case", A));
    assertEquals("ivanway, agedway 34, orksway inway osloway. ivanway enjoysway othay eatay.",
        DemoTasks.expected("pig-latin", A));
    assertEquals("Ivan, aged thirty-four, works in Oslo. Ivan enjoys hot tea.", DemoTasks.expected("spell-numbers", A));
    assertEquals("1v4n, 4g3d 34, w0rk5 1n 05l0. 1v4n 3nj0y5 h07 734.", DemoTasks.expected("leetspeak", A));
    assertEquals("inway urichzay, arayay urnedtay 7 astlay earyay.", DemoTasks.expected("pig-latin", B));
    assertEquals("In Zurich, Yara turned seven last year.", DemoTasks.expected("spell-numbers", B));
    assertEquals("1n Zur1ch, Y4r4 7urn3d 7 l457 y34r.", DemoTasks.expected("leetspeak", B));
    assertEquals("My Friend Emma From Athens Is 80.", DemoTasks.expected("title-case", C));
    assertEquals("myay iendfray emmaway omfray athensway isway 80.", DemoTasks.expected("pig-latin", C));
    assertEquals("My friend Emma from Athens is eighty.", DemoTasks.expected("spell-numbers", C));
  }

  @Test
  void extractJsonIsCheckedFieldByField() {
    DemoTasks.Input in = new DemoTasks.Input(A, "Ivan", 34, "Oslo");
    assertTrue(DemoTasks.correct("extract-json", in, "{\"name\": \"Ivan\", \"age\": 34, \"city\": \"Oslo\"}"));
    assertTrue(DemoTasks.correct("extract-json", in, "{\"city\":\"Oslo\",\"name\":\"Ivan\",\"age\":34}"));
    assertFalse(DemoTasks.correct("extract-json", in, "{\"name\": \"Ivan\", \"age\": \"34\", \"city\": \"Oslo\"}"));
    assertFalse(DemoTasks.correct("extract-json", in, "{\"name\": \"Ivan\", \"age\": 34, \"city\": \"Oslo\", \"x\": 1}"));
    assertFalse(DemoTasks.correct("extract-json", in, "{\"name\": \"Ivan\", \"age\": 34"));
  }

  @Test
  void heldOutInputsUseOnlyHeldOutPairs() {
    Random rng = new Random(1);
    for (int k = 0; k < 200; k++) {
      DemoTasks.Input in = DemoTasks.heldOutInput(rng);
      assertTrue(DemoTasks.isHeldOut(DemoTasks.NAMES.indexOf(in.name()), DemoTasks.CITIES.indexOf(in.city())));
      assertTrue(in.text().contains(in.name()) && in.text().contains(in.city())
          && in.text().contains(Integer.toString(in.age())), in.text());
    }
  }
}
