package io.lorafleet.runtime.bench;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with space-padded columns (left-aligned unless told) and a rule under the header. */
public final class ResultTable {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();
  private final boolean[] right;

  public ResultTable(String... header) {
    this.header = List.of(header);
    this.right = new boolean[header.length];
  }

  /** Pads column {@code column} on the left (for numbers). */
  public ResultTable alignRight(int column) {
    right[column] = true;
    return this;
  }

  public ResultTable add(String... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, header " + header.size());
    }
    rows.add(List.of(cells));
    return this;
  }

  public String render() {
    int[] width = new int[header.size()];
    for (List<String> r : allRows()) {
      for (int c = 0; c < width.length; c++) {
        width[c] = Math.max(width[c], r.get(c).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, header, width, new boolean[width.length]);
    List<String> rule = new ArrayList<>();
    for (int w : width) {
      rule.add("-".repeat(w));
    }
    line(sb, rule, width, right);
    for (List<String> r : rows) {
      line(sb, r, width, right);
    }
    return sb.toString();
  }

  private List<List<String>> allRows() {
    List<List<String>> all = new ArrayList<>(rows);
    all.add(header);
    return all;
  }

  private static void line(StringBuilder sb, List<String> cells, int[] width, boolean[] right) {
    StringBuilder l = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      if (c > 0) {
        l.append("  ");
      }
      String pad = " ".repeat(width[c] - cells.get(c).length());
      l.append(right[c] ? pad + cells.get(c) : cells.get(c) + pad);
    }
    sb.append(l.toString().stripTrailing()).append('\n');
  }
}
