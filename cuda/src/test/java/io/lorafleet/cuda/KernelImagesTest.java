package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The kernels the build compiled: on the class path, with every entry the backend launches, each taking
 * the parameters {@link Kernels} passes (checked against the PTX's own parameter types), and the choice
 * of image per GPU architecture.
 */
class KernelImagesTest {
  private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)", Pattern.DOTALL);
  private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

  private static KernelImages.Manifest manifest() {
    var m = KernelImages.manifest();
    assumeTrue(m.isPresent(), "kernels not built (no nvcc when this module was built)");
    return m.get();
  }

  /** Entry name to its parameter kinds as the Java side spells them: u64 as p (or l), u32/s32 as i, f32 as f. */
  static Map<String, String> ptxEntries() {
    Map<String, String> out = new HashMap<>();
    for (String module : manifest().modules()) {
      String ptx = new String(KernelImages.read(KernelImages.DIR + module + ".ptx"), StandardCharsets.UTF_8);
      Matcher e = ENTRY.matcher(ptx);
      while (e.find()) {
        StringBuilder kinds = new StringBuilder();
        Matcher p = PARAM.matcher(e.group(2));
        while (p.find()) {
          kinds.append(switch (p.group(1)) {
            case "u64", "s64", "b64" -> 'p';
            case "u32", "s32", "b32" -> 'i';
            case "f32" -> 'f';
            default -> '?';
          });
        }
        out.put(e.group(1), kinds.toString());
      }
    }
    return out;
  }

  @Test
  void everyModuleHasPtxAndCubinsForSm80AndSm90() {
    KernelImages.Manifest m = manifest();
    assertEquals(List.of(80, 90), m.cubinArchitectures());
    assertTrue(m.hasPtx());
    for (String module : m.modules()) {
      for (String suffix : List.of(".ptx", ".sm_80.cubin", ".sm_90.cubin")) {
        byte[] b = KernelImages.read(KernelImages.DIR + module + suffix);
        assertTrue(b != null && b.length > 0, module + suffix + " missing");
      }
    }
  }

  @Test
  void ptxHoldsEveryKernelTheBackendLaunches() {
    Map<String, String> entries = ptxEntries();
    Set<String> missing = new HashSet<>(Kernels.NAMES);
    missing.removeAll(entries.keySet());
    assertTrue(missing.isEmpty(), "kernels missing from the PTX: " + missing);
    Set<String> unused = new HashSet<>(entries.keySet());
    unused.removeAll(Kernels.NAMES);
    assertTrue(unused.isEmpty(), "PTX entries Kernels does not know: " + unused);
  }

  @Test
  void kernelsPassTheParametersThePtxDeclares() {
    Map<String, String> entries = ptxEntries();
    RecordingGpu rec = new RecordingGpu();
    Kernels k = new Kernels(rec);
    GpuStream s = rec.computeStream();
    k.embedRows(s, 1, 2, 3, 4, 5);
    k.residualRmsnorm(s, 1, 2, 3, 4, 5, 1e-5f, 6, 7, 8, 9);
    k.ropeKvWrite(s, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 32);
    for (int hd : Kernels.HEAD_DIMS) {
      k.attentionDecode(s, hd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 8, 2, 0.1f);
      k.attentionPrefill(s, hd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 8, 2, 4, 0.1f);
    }
    k.attentionCombine(s, 1, 2, 3, 4, 5, 6, 32, 7, 8);
    k.loraShrink(s, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, new int[] {0, 1, 2});
    k.loraExpand(s, 1, 2, 3, 4, 5, 6, 7, 8, 0, new int[] {0, 1}, new int[] {0, 64}, 128);
    k.siluMul(s, 1, 2, 3, 4, 5, 6);
    k.foldRows(s, 1, 2, 3, 4, 5, 6);
    k.sampleTokens(s, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    k.gemm(s, 1, 2, 3, 4, 5, 6, 7);
    k.gemvW8(s, 1, 2, 3, 4, 5, 6, 7, 8);
    k.gemmW8(s, 1, 2, 3, 4, 5, 6, 7, 8);
    Set<String> launched = new HashSet<>();
    List<String> wrong = new ArrayList<>();
    for (RecordingGpu.Launch l : rec.launches()) {
      launched.add(l.kernel());
      String java = l.signature().replace('l', 'p');
      if (!java.equals(entries.get(l.kernel()))) {
        wrong.add(l.kernel() + ": Java passes " + java + ", PTX declares " + entries.get(l.kernel()));
      }
      assertEquals(0, l.block() % 32, l.kernel() + ": block of " + l.block() + " threads");
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    assertEquals(new HashSet<>(Kernels.NAMES), launched, "every kernel exercised");
  }

  @Test
  void imagesAreChosenPerArchitecture() {
    KernelImages.Manifest m = KernelImages.parse("nvcc 13.0\ntargets compute_80 sm_80 sm_90\nmodule a\nmodule b\n");
    assertEquals(List.of("a", "b"), m.modules());
    // Exact cubin; same-major older cubin (8.6, 8.9 run sm_80); PTX for newer majors; nothing below 8.0.
    assertEquals(KernelImages.DIR + "a.sm_90.cubin", KernelImages.select(m, 90).orElseThrow().get(0).resource());
    assertEquals(KernelImages.DIR + "b.sm_80.cubin", KernelImages.select(m, 86).orElseThrow().get(1).resource());
    assertEquals(KernelImages.DIR + "a.sm_80.cubin", KernelImages.select(m, 89).orElseThrow().get(0).resource());
    var blackwell = KernelImages.select(m, 100).orElseThrow().get(0);
    assertTrue(blackwell.ptx());
    assertEquals(KernelImages.DIR + "a.ptx", blackwell.resource());
    assertTrue(KernelImages.select(m, 75).isEmpty());
  }
}
