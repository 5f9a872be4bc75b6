package io.lorafleet.runtime.primitives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class IntListTest {
  @Test
  void growsPastItsCapacityAndKeepsOrder() {
    IntList l = new IntList(1);
    for (int i = 0; i < 1000; i++) {
      l.add(i * 3);
    }
    assertEquals(1000, l.size());
    assertEquals(2997, l.get(999));
    assertArrayEquals(IntStream.range(0, 1000).map(i -> i * 3).toArray(), l.toArray());
  }

  @Test
  void readsOnlyWhatWasAdded() {
    IntList l = new IntList();
    l.add(7);
    assertThrows(IndexOutOfBoundsException.class, () -> l.get(1));
    assertThrows(IllegalArgumentException.class, () -> new IntList(0));
  }
}
