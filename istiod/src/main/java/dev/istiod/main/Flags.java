package dev.istiod.main;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command's flags, parsed the way upstream's pilot-discovery (Go's pflag) takes them:
 * {@code --name value}, {@code --name=value}, and a boolean flag alone ({@code --log_as_json}) or
 * with {@code =true/false}. It replaces a reflective command-line library: this runs before
 * anything else at every start, and that library alone took a few hundred milliseconds of it (its
 * classes are too old for the JVM's class cache).
 */
final class Flags {
  /** Bad command-line input; its message is shown to the user as is. */
  static final class UsageException extends IllegalArgumentException {
    UsageException(String message) {
      super(message);
    }
  }

  /**
   * One flag.
   *
   * @param defaultValue the value when the flag is not given ("" for none)
   * @param bool a switch: given alone, it is "true"
   * @param hidden left out of the usage text
   */
  record Flag(String name, String defaultValue, String description, boolean bool, boolean hidden) {
    Flag {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(defaultValue, "defaultValue");
      Objects.requireNonNull(description, "description");
    }
  }

  private final Map<String, Flag> flags = new LinkedHashMap<>();

  Flags add(String name, String defaultValue, String description) {
    flags.put(name, new Flag(name, defaultValue, description, false, false));
    return this;
  }

  Flags addBoolean(String name, String description, boolean hidden) {
    flags.put(name, new Flag(name, "false", description, true, hidden));
    return this;
  }

  /** The values of every flag (defaults for those not given); {@code help} is "true" for -h/--help. */
  Map<String, String> parse(List<String> args) {
    Map<String, String> values = new LinkedHashMap<>();
    flags.values().forEach(f -> values.put(f.name(), f.defaultValue()));
    values.put("help", "false");
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("-h") || arg.equals("--help")) {
        values.put("help", "true");
        continue;
      }
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new UsageException("unexpected argument \"" + arg + "\"");
      }
      int eq = arg.indexOf('=');
      String name = arg.substring(2, eq < 0 ? arg.length() : eq);
      Flag flag = flags.get(name);
      if (flag == null) {
        throw new UsageException("unknown flag: --" + name);
      }
      String value;
      if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (flag.bool()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new UsageException("flag needs an argument: --" + name);
      }
      if (flag.bool() && !value.equals("true") && !value.equals("false")) {
        throw new UsageException("invalid argument \"" + value + "\" for --" + name + ": not a boolean");
      }
      values.put(name, value);
    }
    return values;
  }

  /** The usage text: one line per visible flag, with its default. */
  String usage(String commandLine, String description) {
    List<String> lines = new ArrayList<>();
    lines.add(description);
    lines.add("");
    lines.add("Usage:");
    lines.add("  " + commandLine + " [flags]");
    lines.add("");
    lines.add("Flags:");
    int width = flags.keySet().stream().mapToInt(String::length).max().orElse(0) + 4;
    for (Flag f : flags.values()) {
      if (f.hidden()) {
        continue;
      }
      String def = f.bool() || f.defaultValue().isEmpty() ? "" : " (default \"" + f.defaultValue() + "\")";
      lines.add(String.format("  --%-" + width + "s%s%s", f.name(), f.description(), def));
    }
    lines.add(String.format("  -h, --%-" + (width - 4) + "s%s", "help", "help for this command"));
    return String.join(System.lineSeparator(), lines) + System.lineSeparator();
  }
}
