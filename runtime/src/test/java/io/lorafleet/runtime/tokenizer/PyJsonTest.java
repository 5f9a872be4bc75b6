package io.lorafleet.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code tojson} output against Python's json.dumps(ensure_ascii=False) (expected strings from Python 3.11). */
class PyJsonTest {
  private static Map<String, Object> value() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("a", new ArrayList<>(Arrays.asList(1L, 2.5, 1e-05, 1e16, 123456789012345678L, null, true, false,
        "x\"\\\n\t\u0001é😀")));
    value.put("b", Map.of());
    value.put("c", List.of());
    value.put("d", 0.1);
    value.put("e", -0.0);
    value.put("f", 1.5e300);
    value.put("g", 100.0);
    return value;
  }

  @Test
  void oneLine() {
    assertEquals("{\"a\": [1, 2.5, 1e-05, 1e+16, 123456789012345678, null, true, false, "
        + "\"x\\\"\\\\\\n\\t\\u0001é😀\"],"
        + " \"b\": {}, \"c\": [], \"d\": 0.1, \"e\": -0.0, \"f\": 1.5e+300, \"g\": 100.0}",
        new PyJson(null, null, null, false).dumps(value()));
  }

  @Test
  void indented() {
    assertEquals("""
        {
          "a": [
            1,
            2.5,
            1e-05,
            1e+16,
            123456789012345678,
            null,
            true,
            false,
            "x\\"\\\\\\n\\t\\u0001é😀"
          ],
          "b": {},
          "c": [],
          "d": 0.1,
          "e": -0.0,
          "f": 1.5e+300,
          "g": 100.0
        }""", new PyJson("  ", null, null, false).dumps(value()));
  }

  @Test
  void separatorsAndSortedKeys() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("z", 1);
    value.put("a", List.of(2));
    assertEquals("{\"a\":[2],\"z\":1}", new PyJson(null, ",", ":", true).dumps(value));
  }
}
