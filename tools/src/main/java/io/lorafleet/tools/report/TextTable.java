package io.lorafleet.tools.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The one text-table printer of the tools: a header, a rule of dashes under it, then the rows; columns padded
 * with spaces, two apart, left-aligned unless told ({@link #alignRight}, {@link #numbers}); trailing blanks
 * stripped; or as Markdown ({@link #markdown}).
 */
public final class TextTable {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();
  private final boolean[] right;

  public TextTable(String... header) {
    this.header = List.of(header);
    this.right = new boolean[header.length];
  }

  /** Pads column {@code column} on the left (for numbers). */
  public TextTable alignRight(int column) {
    right[column] = true;
    return this;
  }

  /** Pads every column but the first on the left (a label, then figures). */
  public TextTable numbers() {
    for (int c = 1; c < right.length; c++) {
      right[c] = true;
    }
    return this;
  }

  public TextTable add(String... cells) {
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
    line(sb, header, width, right);
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

  /**
   * The same table as Markdown: {@code | a | b |} lines, no padding, the alignment row saying which columns
   * are right-aligned ({@code ---:}).
   */
  public String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(String.join(" | ", header)).append(" |\n|");
    for (boolean r : right) {
      sb.append(r ? "---:|" : "---|");
    }
    sb.append('\n');
    for (List<String> row : rows) {
      sb.append("| ").append(String.join(" | ", row)).append(" |\n");
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
