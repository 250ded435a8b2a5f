package dev.istiod.xds.gen;

import java.util.ArrayList;
import java.util.List;

/** A unified diff of two texts (longest common subsequence of lines), for golden failures. */
final class UnifiedDiff {
  private static final int CONTEXT = 3;

  private UnifiedDiff() {}

  static String diff(String expectedName, String expected, String actualName, String actual) {
    String[] a = expected.split("\n", -1);
    String[] b = actual.split("\n", -1);
    int[][] lcs = new int[a.length + 1][b.length + 1];
    for (int i = a.length - 1; i >= 0; i--) {
      for (int j = b.length - 1; j >= 0; j--) {
        lcs[i][j] = a[i].equals(b[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<String> ops = new ArrayList<>(); // " x", "-x", "+x"
    int i = 0;
    int j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i].equals(b[j])) {
        ops.add(" " + a[i++]);
        j++;
      } else if (i < a.length && (j == b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
        ops.add("-" + a[i++]);
      } else {
        ops.add("+" + b[j++]);
      }
    }
    StringBuilder out = new StringBuilder("--- " + expectedName + "\n+++ " + actualName + "\n");
    int k = 0;
    while (k < ops.size()) {
      if (ops.get(k).charAt(0) == ' ') {
        k++;
        continue;
      }
      int start = Math.max(0, k - CONTEXT);
      int end = k;
      int lastChange = k;
      while (end < ops.size() && end - lastChange <= 2 * CONTEXT) {
        if (ops.get(end).charAt(0) != ' ') {
          lastChange = end;
        }
        end++;
      }
      end = Math.min(ops.size(), lastChange + CONTEXT + 1);
      out.append("@@ line ").append(lineOf(ops, start)).append(" @@\n");
      for (int m = start; m < end; m++) {
        out.append(ops.get(m)).append('\n');
      }
      k = end;
    }
    return out.toString();
  }

  private static int lineOf(List<String> ops, int index) {
    int line = 1;
    for (int m = 0; m < index; m++) {
      if (ops.get(m).charAt(0) != '+') {
        line++;
      }
    }
    return line;
  }
}
