package dev.istiod.configstore.validation;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * A shallow syntax check of a CEL expression (Telemetry access-log filters). Upstream parses the
 * expression with cel-go; no CEL parser is available to this build, so this catches what users
 * actually get wrong (an empty expression, unbalanced brackets, an unterminated string) and leaves
 * the rest to Envoy, which refuses an expression it cannot compile.
 */
final class CelSyntax {
  private CelSyntax() {}

  /** Empty when the expression passes, else what is wrong with it. */
  static Optional<String> check(String expression) {
    if (expression.isBlank()) {
      return Optional.of("ERROR: <input>:1:1: Syntax error: mismatched input '<EOF>'");
    }
    Deque<Character> open = new ArrayDeque<>();
    for (int i = 0; i < expression.length(); i++) {
      char c = expression.charAt(i);
      switch (c) {
        case '"', '\'' -> {
          int end = closingQuote(expression, i, c);
          if (end < 0) {
            return Optional.of("ERROR: <input>:1:" + (i + 1) + ": Syntax error: unterminated string");
          }
          i = end;
        }
        case '(', '[', '{' -> open.push(c);
        case ')', ']', '}' -> {
          char want = c == ')' ? '(' : c == ']' ? '[' : '{';
          if (open.isEmpty() || open.pop() != want) {
            return Optional.of("ERROR: <input>:1:" + (i + 1) + ": Syntax error: extraneous input '" + c + "'");
          }
        }
        default -> {
          // operands and operators are left to Envoy
        }
      }
    }
    if (!open.isEmpty()) {
      return Optional.of("ERROR: <input>:1:" + (expression.length() + 1) + ": Syntax error: missing '"
          + closing(open.peek()) + "' at '<EOF>'");
    }
    return Optional.empty();
  }

  private static int closingQuote(String s, int from, char quote) {
    for (int j = from + 1; j < s.length(); j++) {
      char c = s.charAt(j);
      if (c == '\\') {
        j++;
      } else if (c == quote) {
        return j;
      }
    }
    return -1;
  }

  private static char closing(char open) {
    return open == '(' ? ')' : open == '[' ? ']' : '}';
  }
}
