package dev.istiod.configstore;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a multi-document YAML text at its {@code ---} markers, so that each document is parsed
 * on its own and one malformed document cannot hide the others (a YAML stream parser stops at
 * the first syntax error).
 */
final class YamlDocuments {
  /**
   * One document.
   *
   * @param index 0-based position in the file; a preamble before the first {@code ---} that
   *     holds only comments or blanks does not count
   * @param firstLine 1-based line of the file where the document's text starts
   */
  record Document(int index, int firstLine, String text) {
    boolean isBlank() {
      for (String line : text.split("\n", -1)) {
        String t = line.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          return false;
        }
      }
      return true;
    }
  }

  private YamlDocuments() {}

  static List<Document> split(String content) {
    String text = content.startsWith("\uFEFF") ? content.substring(1) : content;
    String[] lines = text.split("\n", -1);
    List<Document> docs = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int firstLine = 1;
    boolean skipping = false; // after a "..." end marker, until the next "---"
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String bare = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
      if (isMarker(bare, "---")) {
        docs.add(new Document(docs.size(), firstLine, current.toString()));
        current.setLength(0);
        firstLine = i + 1;
        skipping = false;
        // Content after the marker on the same line ("--- # note") belongs to the document.
        current.append(bare.substring(3)).append('\n');
        continue;
      }
      if (isMarker(bare, "...")) {
        skipping = true;
        continue;
      }
      current.append(skipping ? "" : line);
      if (i < lines.length - 1) {
        current.append('\n');
      }
    }
    docs.add(new Document(docs.size(), firstLine, current.toString()));
    // A leading empty preamble ("---" on the first line) is not a document.
    if (docs.size() > 1 && docs.get(0).isBlank()) {
      List<Document> renumbered = new ArrayList<>();
      for (int i = 1; i < docs.size(); i++) {
        Document d = docs.get(i);
        renumbered.add(new Document(i - 1, d.firstLine(), d.text()));
      }
      return renumbered;
    }
    return docs;
  }

  private static boolean isMarker(String line, String marker) {
    return line.startsWith(marker)
        && (line.length() == marker.length() || Character.isWhitespace(line.charAt(marker.length())));
  }
}
