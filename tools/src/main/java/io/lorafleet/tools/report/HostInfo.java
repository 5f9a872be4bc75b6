package io.lorafleet.tools.report;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The machine a benchmark ran on, for the report.
 *
 * @param cpuModel    {@code model name} from /proc/cpuinfo, or the OS architecture where there is none
 * @param cores       processors the JVM sees
 * @param javaVersion {@code java.version}
 * @param javaVm      VM name and version
 * @param os          OS name and version
 */
public record HostInfo(String cpuModel, int cores, String javaVersion, String javaVm, String os) {
  public static HostInfo detect() {
    return new HostInfo(cpuModel(Path.of("/proc/cpuinfo")), Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
  }

  /** The system's load average over the last minute, or NaN where the OS does not tell. */
  public static double loadAverage() {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load >= 0 ? load : Double.NaN;
  }

  /** CPU time this process has used so far (all threads), or -1 where the JVM does not tell. */
  public static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : -1;
  }

  static String cpuModel(Path cpuinfo) {
    try {
      List<String> lines = Files.readAllLines(cpuinfo);
      for (String line : lines) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).strip().equals("model name")) {
          return line.substring(colon + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: fall through
    }
    return System.getProperty("os.arch");
  }
}
