package io.lorafleet.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.engine.Engine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the server's modules has no cycles (a package that depends on another never gets
 * a dependency back, however indirect), as the JDK's own {@code jdeps} sees the compiled classes.
 */
class PackageDependenciesTest {
  /** package -> packages it uses, among io.lorafleet's, from {@code jdeps -verbose:package}. */
  private static Map<String, Set<String>> graph(Class<?> anyClassOfModule) throws Exception {
    Path classes = Path.of(anyClassOfModule.getProtectionDomain().getCodeSource().getLocation().toURI());
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    int rc = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", "-filter:none", "-e",
        "io\\.lorafleet\\..*", classes.toString());
    assertEquals(0, rc, out.toString());
    Map<String, Set<String>> g = new TreeMap<>();
    for (String line : out.toString().split("\n")) {
      String[] w = line.trim().split("\\s+");
      if (w.length >= 3 && w[1].equals("->") && w[0].startsWith("io.lorafleet.") && w[2].startsWith("io.lorafleet.")
          && !w[0].equals(w[2])) {
        g.computeIfAbsent(w[0], k -> new TreeSet<>()).add(w[2]);
      }
    }
    return g;
  }

  /** The strongly connected components with more than one package (Tarjan). */
  private static List<Set<String>> cycles(Map<String, Set<String>> g) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    List<Set<String>> out = new ArrayList<>();
    int[] next = {0};
    for (String v : g.keySet()) {
      if (!index.containsKey(v)) {
        connect(v, g, index, low, stack, out, next);
      }
    }
    return out;
  }

  private static void connect(String v, Map<String, Set<String>> g, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, List<Set<String>> out, int[] next) {
    index.put(v, next[0]);
    low.put(v, next[0]++);
    stack.push(v);
    for (String w : g.getOrDefault(v, Set.of())) {
      if (!index.containsKey(w)) {
        connect(w, g, index, low, stack, out, next);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (stack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      Set<String> component = new TreeSet<>();
      String w;
      do {
        w = stack.pop();
        component.add(w);
      } while (!w.equals(v));
      if (component.size() > 1) {
        out.add(component);
      }
    }
  }

  @Test
  void noPackageCyclesInTheRuntimeOrTheActors() throws Exception {
    for (Class<?> module : List.of(Engine.class, CrossNode.class)) {
      Map<String, Set<String>> g = graph(module);
      assertTrue(g.size() > 3, "jdeps saw the packages of " + module.getName() + ": " + g);
      assertEquals(List.of(), cycles(g), "package cycles in the module of " + module.getName());
    }
  }

  @Test
  void theSerializerDependsOnNoPackageAboveIt() throws Exception {
    assertEquals(Set.of(), graph(CrossNode.class).getOrDefault("io.lorafleet.actors.serialization", Set.of()));
  }

  /** The protocol (Protobuf serializer, mappers) sits on top: only configuration names it. */
  @Test
  void noPackageDependsOnTheProtocol() throws Exception {
    Map<String, Set<String>> g = graph(CrossNode.class);
    assertTrue(g.containsKey("io.lorafleet.actors.protocol"), g.keySet().toString());
    for (var e : g.entrySet()) {
      if (!e.getKey().startsWith("io.lorafleet.actors.protocol")) {
        assertTrue(e.getValue().stream().noneMatch(p -> p.startsWith("io.lorafleet.actors.protocol")),
            e.getKey() + " uses the protocol package: " + e.getValue());
      }
    }
  }
}
