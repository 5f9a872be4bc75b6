package io.lorafleet.tools.gpubench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gpu-bench report}: reads what the parts of the run left ({@code engine.json}, {@code http.json},
 * {@code peer.json}, and {@code env.txt} lines of "key: value"), prints the comparison table and writes
 * {@code gpu-bench.json}, {@code gpu-bench.txt} and {@code latency-vs-adapters.png}. Parts that are missing
 * or unreadable are reported as such; the report is written anyway.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Put the parts of a run together: table on stdout, gpu-bench.json, gpu-bench.txt and the PNG chart.")
final class ReportCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ReportCommand.class);
  static final String JSON_FILE = "gpu-bench.json";
  static final String TEXT_FILE = "gpu-bench.txt";
  static final String CHART_FILE = "latency-vs-adapters.png";

  @Option(names = "--parts", required = true, description = "directory with engine.json, http.json, peer.json, env.txt")
  Path parts;

  @Option(names = "--out", required = true, description = "where the report goes")
  Path out;

  @Override
  public Integer call() throws IOException {
    Map<String, String> env = environment(parts.resolve("env.txt"));
    Comparison cmp = new Comparison(read("engine.json"), read("http.json"), read("peer.json"), env);
    StringBuilder text = new StringBuilder();
    text.append("LoraFleet vs HF transformers + PEFT, one run on ").append(env.getOrDefault("gpu", "an unknown device"))
        .append('\n');
    env.forEach((k, v) -> text.append("  ").append(k).append(": ").append(v).append('\n'));
    text.append('\n').append(cmp.table());
    text.append(cmp.profiles(15));
    List<String> notes = cmp.notes();
    if (!notes.isEmpty()) {
      text.append("\nnotes:\n");
      notes.forEach(n -> text.append("  - ").append(n).append('\n'));
    }
    Files.createDirectories(out);
    String timestamp = Instant.now().toString();
    SystemResult.JSON.writeValue(out.resolve(JSON_FILE).toFile(), cmp.json(timestamp));
    Files.writeString(out.resolve(TEXT_FILE), text, StandardCharsets.UTF_8);
    String subtitle = "one run, " + env.getOrDefault("gpu", "unknown device") + "; " + cmp.requestShape()
        + ", one request at a time; " + timestamp.substring(0, Math.min(16, timestamp.length()));
    String chart = out.resolve(CHART_FILE).toString();
    try {
      cmp.chart(subtitle).write(out.resolve(CHART_FILE));
    } catch (IOException | RuntimeException | Error e) {
      // Headless AWT draws text with the machine's fonts; a machine without any (some GPU images) cannot draw
      // the chart. The figures are all in the JSON and the table: the chart can be drawn elsewhere later.
      log.warn("the chart was not drawn ({}); rerun `lorafleet gpu-bench report --parts {} --out DIR` on a machine "
          + "with fonts to draw it", e.toString(), parts);
      chart = "no chart (" + e + ")";
    }
    PrintStream o = System.out;
    o.print(text);
    o.println();
    o.println("wrote " + out.resolve(JSON_FILE) + ", " + out.resolve(TEXT_FILE) + ", " + chart);
    o.flush();
    return 0;
  }

  private SystemResult read(String name) {
    Path f = parts.resolve(name);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    try {
      return SystemResult.read(f);
    } catch (IOException e) {
      log.warn("{} is unreadable, left out of the report: {}", f, e.getMessage());
      return null;
    }
  }

  /** "key: value" lines (others ignored), in file order. */
  static Map<String, String> environment(Path file) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    if (!Files.isRegularFile(file)) {
      return env;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.isBlank()) {
        env.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
      }
    }
    return env;
  }
}
