package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendProvider;
import io.lorafleet.runtime.backend.cpu.CpuBackend;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.backend.Backends;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class CudaBackendProviderTest {
  @Test
  void registeredAsCudaAheadOfTheCpu() {
    var providers = Backends.providers();
    BackendProvider cuda = providers.stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
    assertEquals(10, cuda.priority());
    assertEquals("cuda", providers.getFirst().name(), "auto tries cuda first");
  }

  @SuppressWarnings("restricted")
  private static boolean driverPresent() {
    try (Arena a = Arena.ofConfined()) {
      SymbolLookup.libraryLookup("libcuda.so.1", a);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  @Test
  void withoutADriverItSaysSoQuietlyAndRemembers() {
    assumeFalse(driverPresent(), "this machine has a CUDA driver");
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured));
    try {
      CudaBackendProvider p = new CudaBackendProvider();
      assertEquals("no CUDA driver (libcuda.so.1 not found)", p.unavailableReason().orElseThrow());
      assertSame(CudaProbe.probe(), CudaProbe.probe(), "probed once");
    } finally {
      System.setErr(err);
    }
    assertEquals("", captured.toString(), "nothing printed");
  }

  @Test
  void cublasSearchStartsWithTheExplicitPath() {
    String old = System.getProperty("lorafleet.cuda.cublas");
    System.setProperty("lorafleet.cuda.cublas", "/opt/x/libcublas.so.13");
    try {
      var c = CublasLibrary.candidates();
      assertEquals("/opt/x/libcublas.so.13", c.get(0));
      assertTrue(c.contains("libcublas.so.13") && c.contains("libcublas.so.12"));
    } finally {
      if (old == null) {
        System.clearProperty("lorafleet.cuda.cublas");
      } else {
        System.setProperty("lorafleet.cuda.cublas", old);
      }
    }
  }

  @Test
  void noCublasHereIsAnEmptyAnswerNotAnError() {
    boolean installed = CublasLibrary.candidates().stream().anyMatch(c -> c.contains("/") && Files.exists(Path.of(c)));
    assumeFalse(installed, "this machine has cuBLAS");
    assertTrue(CublasLibrary.load().isEmpty());
  }

  @Test
  void onlyTheProviderAndTheDiagnosticsArePublic() throws Exception {
    Path classes = Path.of(CudaBackendProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> open = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes.resolve("io/lorafleet/cuda"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().contains("$"))
          .toList()) {
        String name = "io.lorafleet.cuda." + f.getFileName().toString().replace(".class", "");
        if (Modifier.isPublic(Class.forName(name, false, getClass().getClassLoader()).getModifiers())) {
          open.add(name);
        }
      }
    }
    open.sort(null);
    assertEquals(List.of(CudaBackendProvider.class.getName(), CudaDiagnostics.class.getName()), open);
    try (LlamaModel m = LlamaModel.load(Fixtures.model()); CpuBackend cpu = new CpuBackend(m, 1)) {
      assertTrue(CudaDiagnostics.of(cpu).isEmpty(), "no diagnostics for another backend");
    }
  }

  @Test
  void bf16RoundsToNearestEven() {
    assertEquals((short) 0x3f80, Bf16.fromFloat(1.0f));
    assertEquals((short) 0x3f80, Bf16.fromFloat(Float.intBitsToFloat(0x3f808000)), "tie to even (down)");
    assertEquals((short) 0x3f82, Bf16.fromFloat(Float.intBitsToFloat(0x3f818000)), "tie to even (up)");
    assertEquals((short) 0x3f81, Bf16.fromFloat(Float.intBitsToFloat(0x3f808001)));
    assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));
    assertEquals(Float.POSITIVE_INFINITY, Bf16.toFloat(Bf16.fromFloat(Float.POSITIVE_INFINITY)));
  }
}
