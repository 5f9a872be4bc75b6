package io.lorafleet.ops;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The instructions of a Dockerfile as the builder reads them: comment lines dropped, continuation lines
 * joined, each instruction's keyword (upper case) and arguments; exec-form arguments parsed as JSON.
 */
record Dockerfile(List<Instruction> instructions) {

  /** One instruction; {@code line} is where it starts (1-based). */
  record Instruction(String keyword, String arguments, int line) {
    boolean execForm() {
      return arguments.startsWith("[");
    }

    /** The JSON array of an exec-form instruction (ENTRYPOINT, CMD, RUN [...]). */
    List<String> exec() {
      if (!execForm()) {
        throw new IllegalStateException("line " + line + ": " + keyword + " is not in exec form: " + arguments);
      }
      try {
        return new ObjectMapper().readValue(arguments, new TypeReference<List<String>>() {});
      } catch (IOException e) {
        throw new UncheckedIOException("line " + line + ": " + keyword + " is not a JSON array", e);
      }
    }

    /** Shell-like words: whitespace-separated, double or single quotes grouping. */
    List<String> words() {
      List<String> out = new ArrayList<>();
      StringBuilder w = new StringBuilder();
      char quote = 0;
      boolean inWord = false;
      for (char c : arguments.toCharArray()) {
        if (quote != 0) {
          if (c == quote) {
            quote = 0;
          } else {
            w.append(c);
          }
        } else if (c == '"' || c == '\'') {
          quote = c;
          inWord = true;
        } else if (Character.isWhitespace(c)) {
          if (inWord) {
            out.add(w.toString());
            w.setLength(0);
            inWord = false;
          }
        } else {
          w.append(c);
          inWord = true;
        }
      }
      if (inWord) {
        out.add(w.toString());
      }
      return out;
    }

    /** Flags such as --from=jre of COPY/ADD/HEALTHCHECK, by name. */
    Map<String, String> flags() {
      Map<String, String> f = new LinkedHashMap<>();
      for (String w : words()) {
        if (!w.startsWith("--")) {
          break;
        }
        int eq = w.indexOf('=');
        f.put(eq < 0 ? w.substring(2) : w.substring(2, eq), eq < 0 ? "" : w.substring(eq + 1));
      }
      return f;
    }

    /** COPY/ADD: the sources (every word but the flags and the destination). */
    List<String> sources() {
      List<String> w = execForm() ? exec() : words().stream().filter(s -> !s.startsWith("--")).toList();
      return w.subList(0, w.size() - 1);
    }

    String destination() {
      List<String> w = execForm() ? exec() : words();
      return w.getLast();
    }
  }

  static Dockerfile parse(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Instruction> out = new ArrayList<>();
    StringBuilder current = null;
    int start = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String t = line.strip();
      if (t.startsWith("#") || (t.isEmpty() && current == null)) {
        continue; // comments (also inside continuations, as the builder does) and blank lines
      }
      if (current == null) {
        current = new StringBuilder();
        start = i + 1;
      }
      if (t.endsWith("\\")) {
        current.append(t, 0, t.length() - 1).append(' ');
        continue;
      }
      current.append(t);
      String text = current.toString().strip();
      int sp = text.indexOf(' ');
      out.add(new Instruction((sp < 0 ? text : text.substring(0, sp)).toUpperCase(),
          sp < 0 ? "" : text.substring(sp + 1).strip(), start));
      current = null;
    }
    if (current != null) {
      throw new IllegalStateException(file + ": ends inside a continued line");
    }
    return new Dockerfile(List.copyOf(out));
  }

  List<Instruction> all(String keyword) {
    return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
  }

  /** The instructions of the last build stage (after the last FROM). */
  List<Instruction> finalStage() {
    int last = 0;
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).keyword().equals("FROM")) {
        last = i;
      }
    }
    return instructions.subList(last, instructions.size());
  }

  /** The ENV variables of the final stage (KEY=value pairs). */
  Map<String, String> env() {
    Map<String, String> env = new LinkedHashMap<>();
    for (Instruction i : finalStage()) {
      if (i.keyword().equals("ENV")) {
        for (String w : i.words()) {
          int eq = w.indexOf('=');
          if (eq > 0) {
            env.put(w.substring(0, eq), w.substring(eq + 1));
          }
        }
      }
    }
    return env;
  }

  Instruction last(String keyword) {
    List<Instruction> a = all(keyword);
    if (a.isEmpty()) {
      throw new IllegalStateException("no " + keyword + " instruction");
    }
    return a.getLast();
  }
}
