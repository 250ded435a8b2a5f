package dev.istiod.xds.core;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.istiod.xds.EnvoyTypes;
import io.envoyproxy.pgv.validate.Validate;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Envoy's own field constraints ({@code protoc-gen-validate} rules in Envoy's .proto files, which
 * the Envoy API jar carries as field options), checked before a resource is sent: Envoy rejects
 * a whole update when one resource breaks them, so istiod must find out first, as Envoy Gateway
 * does. Walks the message reflectively, unpacking {@code Any} values whose type
 * {@link EnvoyTypes#REGISTRY} knows.
 *
 * <p>Covers the rules Envoy's cluster, endpoint, listener and route protos use: numeric bounds
 * (also on wrapper types), string length, prefix and pattern, header-safe strings, enum
 * {@code defined_only}, repeated and map sizes and item rules, required messages and oneofs, and
 * duration bounds. Rules it does not know are ignored, never reported.
 */
public final class ProtoRules {
  private static final Set<String> WRAPPERS = Set.of("google.protobuf.DoubleValue", "google.protobuf.FloatValue",
      "google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.Int32Value",
      "google.protobuf.UInt32Value", "google.protobuf.BoolValue", "google.protobuf.StringValue");
  private static final BigInteger UNSIGNED_64 = BigInteger.ONE.shiftLeft(64);

  /** What to check in messages of one type: precomputed once, since reflection over every field is slow. */
  private record Plan(List<OneofDescriptor> requiredOneofs, List<Check> checks) {}

  /** A field with rules, or leading to a message type that has some somewhere below. */
  private record Check(FieldDescriptor field, Validate.FieldRules rules) {}

  /** Where a value sits, rendered only when it is reported. */
  private record Where(Where parent, String segment) {
    @Override
    public String toString() {
      return parent == null ? segment : parent + (segment.startsWith("[") || segment.startsWith("<") ? "" : ".") + segment;
    }
  }

  /**
   * Memos of pure functions of immutable descriptors (two threads computing one entry get equal
   * values), so validation costs little more than walking the fields that have rules.
   */
  private static final ConcurrentHashMap<Descriptor, Plan> PLANS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Descriptor, Boolean> HAS_RULES = new ConcurrentHashMap<>();

  private ProtoRules() {}

  /** Every violation in {@code message}, each as {@code field.path: what is wrong}; empty when valid. */
  public static List<String> violations(Message message) {
    List<String> out = new ArrayList<>();
    walk(message, new Where(null, message.getDescriptorForType().getName()), out);
    return out;
  }

  private static Plan plan(Descriptor d) {
    Plan p = PLANS.get(d);
    if (p == null) {
      p = buildPlan(d);
      PLANS.putIfAbsent(d, p);
    }
    return p;
  }

  private static Plan buildPlan(Descriptor d) {
    List<OneofDescriptor> oneofs = new ArrayList<>();
    for (OneofDescriptor o : d.getRealOneofs()) {
      if (o.getOptions().getExtension(Validate.required)) {
        oneofs.add(o);
      }
    }
    List<Check> checks = new ArrayList<>();
    for (FieldDescriptor f : d.getFields()) {
      Validate.FieldRules rules = f.getOptions().hasExtension(Validate.rules) ? f.getOptions().getExtension(Validate.rules) : null;
      boolean descend = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && hasRules(f.getMessageType());
      if (rules != null || descend) {
        checks.add(new Check(f, rules));
      }
    }
    return new Plan(List.copyOf(oneofs), List.copyOf(checks));
  }

  /** True if messages of this type can break a rule: some type reachable from it has rules or packs an Any. */
  private static boolean hasRules(Descriptor root) {
    Boolean known = HAS_RULES.get(root);
    if (known != null) {
      return known;
    }
    boolean result = reachesRules(root, new HashSet<>());
    HAS_RULES.putIfAbsent(root, result);
    return result;
  }

  private static boolean reachesRules(Descriptor d, Set<Descriptor> visited) {
    if (!visited.add(d)) {
      return false;
    }
    if (d.getFullName().equals("google.protobuf.Any")) {
      return true;
    }
    for (OneofDescriptor o : d.getRealOneofs()) {
      if (o.getOptions().getExtension(Validate.required)) {
        return true;
      }
    }
    for (FieldDescriptor f : d.getFields()) {
      if (f.getOptions().hasExtension(Validate.rules)) {
        return true;
      }
    }
    for (FieldDescriptor f : d.getFields()) {
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && reachesRules(f.getMessageType(), visited)) {
        return true;
      }
    }
    return false;
  }

  private static void walk(Message m, Where path, List<String> out) {
    Plan plan = plan(m.getDescriptorForType());
    for (OneofDescriptor oneof : plan.requiredOneofs()) {
      if (!m.hasOneof(oneof)) {
        out.add(new Where(path, oneof.getName()) + ": exactly one field is required");
      }
    }
    for (Check c : plan.checks()) {
      FieldDescriptor f = c.field();
      if (f.isMapField()) {
        checkMap(m, f, c.rules(), new Where(path, f.getName()), out);
      } else if (f.isRepeated()) {
        checkRepeated(m, f, c.rules(), new Where(path, f.getName()), out);
      } else {
        if (f.getRealContainingOneof() != null && !m.hasField(f)) {
          continue; // PGV checks a oneof member's rules only when it is the one set
        }
        boolean present = !f.hasPresence() || m.hasField(f);
        if (!present && c.rules() == null) {
          continue;
        }
        checkSingle(f, present, present ? m.getField(f) : null, c.rules(), new Where(path, f.getName()), out);
      }
    }
  }

  private static void checkRepeated(Message m, FieldDescriptor f, Validate.FieldRules rules, Where path, List<String> out) {
    int count = m.getRepeatedFieldCount(f);
    Validate.FieldRules itemRules = null;
    if (rules != null && rules.hasRepeated()) {
      Validate.RepeatedRules r = rules.getRepeated();
      boolean ignore = r.getIgnoreEmpty() && count == 0;
      if (!ignore && r.hasMinItems() && count < r.getMinItems()) {
        out.add(path + ": needs at least " + r.getMinItems() + " items, has " + count);
      }
      if (!ignore && r.hasMaxItems() && count > r.getMaxItems()) {
        out.add(path + ": allows at most " + r.getMaxItems() + " items, has " + count);
      }
      if (r.getUnique()) {
        Set<Object> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
          if (!seen.add(m.getRepeatedField(f, i))) {
            out.add(path + ": items must be unique");
            break;
          }
        }
      }
      itemRules = r.hasItems() ? r.getItems() : null;
    }
    if (itemRules == null && f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
      return;
    }
    for (int i = 0; i < count; i++) {
      checkSingle(f, true, m.getRepeatedField(f, i), itemRules, new Where(path, "[" + i + "]"), out);
    }
  }

  private static void checkMap(Message m, FieldDescriptor f, Validate.FieldRules rules, Where path, List<String> out) {
    int count = m.getRepeatedFieldCount(f);
    Validate.MapRules r = rules != null && rules.hasMap() ? rules.getMap() : null;
    if (r != null && !(r.getIgnoreEmpty() && count == 0)) {
      if (r.hasMinPairs() && count < r.getMinPairs()) {
        out.add(path + ": needs at least " + r.getMinPairs() + " entries");
      }
      if (r.hasMaxPairs() && count > r.getMaxPairs()) {
        out.add(path + ": allows at most " + r.getMaxPairs() + " entries");
      }
    }
    FieldDescriptor keyField = f.getMessageType().findFieldByName("key");
    FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
    for (int i = 0; i < count; i++) {
      Message entry = (Message) m.getRepeatedField(f, i);
      Object key = entry.getField(keyField);
      Where entryPath = new Where(path, "[" + key + "]");
      checkSingle(keyField, true, key, r != null && r.hasKeys() ? r.getKeys() : null, new Where(entryPath, "key"), out);
      checkSingle(valueField, true, entry.getField(valueField), r != null && r.hasValues() ? r.getValues() : null,
          entryPath, out);
    }
  }

  private static void checkSingle(FieldDescriptor f, boolean present, Object value, Validate.FieldRules rules, Where path,
      List<String> out) {
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      checkMessage(f, present, (Message) value, rules, path, out);
      return;
    }
    if (rules == null || !present) {
      return;
    }
    switch (f.getJavaType()) {
      case STRING -> checkString((String) value, rules, path, out);
      case ENUM -> checkEnum((EnumValueDescriptor) value, rules, path, out);
      case INT, LONG, FLOAT, DOUBLE -> checkNumber(number(f, value), rules, path, out);
      default -> { }
    }
  }

  private static void checkMessage(FieldDescriptor f, boolean present, Message value, Validate.FieldRules rules, Where path,
      List<String> out) {
    boolean required = rules != null && ((rules.hasMessage() && rules.getMessage().getRequired())
        || (rules.hasDuration() && rules.getDuration().getRequired()) || (rules.hasAny() && rules.getAny().getRequired()));
    if (required && !present) {
      out.add(path + ": is required");
    }
    if (rules != null && rules.hasMessage()) {
      if (rules.getMessage().getSkip()) {
        return;
      }
    }
    if (!present) {
      return;
    }
    String type = f.getMessageType().getFullName();
    if (WRAPPERS.contains(type)) {
      FieldDescriptor inner = f.getMessageType().findFieldByName("value");
      checkSingle(inner, true, value.getField(inner), rules, path, out);
      return;
    }
    if (type.equals("google.protobuf.Duration") && rules != null && rules.hasDuration()) {
      checkDuration(toDuration(value), rules.getDuration(), path, out);
      return;
    }
    if (type.equals("google.protobuf.Any")) {
      checkAny(value, rules, path, out);
      return;
    }
    walk(value, path, out);
  }

  private static void checkAny(Message value, Validate.FieldRules rules, Where path, List<String> out) {
    String typeUrl = (String) value.getField(value.getDescriptorForType().findFieldByName("type_url"));
    if (rules != null && rules.hasAny() && rules.getAny().getInCount() > 0 && !rules.getAny().getInList().contains(typeUrl)) {
      out.add(path + ": type " + typeUrl + " is not allowed here");
    }
    Descriptor packed = EnvoyTypes.REGISTRY.find(typeUrl.substring(typeUrl.lastIndexOf('/') + 1));
    if (packed == null || !hasRules(packed)) {
      return; // a type istiod does not know cannot be checked here; one without rules need not be
    }
    Any any = value instanceof Any a ? a : Any.newBuilder()
        .setTypeUrl(typeUrl).setValue((com.google.protobuf.ByteString) value.getField(
            value.getDescriptorForType().findFieldByName("value"))).build();
    try {
      walk(DynamicMessage.parseFrom(packed, any.getValue()), new Where(path, "<" + packed.getName() + ">"), out);
    } catch (InvalidProtocolBufferException e) {
      out.add(path + ": cannot be decoded as " + typeUrl);
    }
  }

  private static Duration toDuration(Message m) {
    if (m instanceof Duration d) {
      return d;
    }
    Descriptor d = m.getDescriptorForType();
    return Duration.newBuilder().setSeconds((Long) m.getField(d.findFieldByName("seconds")))
        .setNanos((Integer) m.getField(d.findFieldByName("nanos"))).build();
  }

  private static void checkDuration(Duration v, Validate.DurationRules r, Where path, List<String> out) {
    BigDecimal value = seconds(v);
    if (r.hasGt() && value.compareTo(seconds(r.getGt())) <= 0) {
      out.add(path + ": must be greater than " + seconds(r.getGt()) + "s");
    }
    if (r.hasGte() && value.compareTo(seconds(r.getGte())) < 0) {
      out.add(path + ": must be at least " + seconds(r.getGte()) + "s");
    }
    if (r.hasLt() && value.compareTo(seconds(r.getLt())) >= 0) {
      out.add(path + ": must be less than " + seconds(r.getLt()) + "s");
    }
    if (r.hasLte() && value.compareTo(seconds(r.getLte())) > 0) {
      out.add(path + ": must be at most " + seconds(r.getLte()) + "s");
    }
  }

  private static BigDecimal seconds(Duration d) {
    return BigDecimal.valueOf(d.getSeconds()).add(BigDecimal.valueOf(d.getNanos(), 9));
  }

  private static BigDecimal number(FieldDescriptor f, Object value) {
    return switch (f.getType()) {
      case UINT32, FIXED32 -> BigDecimal.valueOf(Integer.toUnsignedLong((Integer) value));
      case UINT64, FIXED64 -> {
        long l = (Long) value;
        yield new BigDecimal(l >= 0 ? BigInteger.valueOf(l) : BigInteger.valueOf(l).add(UNSIGNED_64));
      }
      case FLOAT -> new BigDecimal(Float.toString((Float) value));
      case DOUBLE -> BigDecimal.valueOf((Double) value);
      default -> BigDecimal.valueOf(((Number) value).longValue());
    };
  }

  /** Numeric rules of any width: the rule message's const/lt/lte/gt/gte/in/not_in fields, read reflectively. */
  private static void checkNumber(BigDecimal value, Validate.FieldRules rules, Where path, List<String> out) {
    Message r = switch (rules.getTypeCase()) {
      case FLOAT -> rules.getFloat();
      case DOUBLE -> rules.getDouble();
      case INT32 -> rules.getInt32();
      case INT64 -> rules.getInt64();
      case UINT32 -> rules.getUint32();
      case UINT64 -> rules.getUint64();
      case SINT32 -> rules.getSint32();
      case SINT64 -> rules.getSint64();
      case FIXED32 -> rules.getFixed32();
      case FIXED64 -> rules.getFixed64();
      case SFIXED32 -> rules.getSfixed32();
      case SFIXED64 -> rules.getSfixed64();
      default -> null;
    };
    if (r == null) {
      return;
    }
    Descriptor d = r.getDescriptorForType();
    FieldDescriptor ignoreEmpty = d.findFieldByName("ignore_empty");
    if (ignoreEmpty != null && (Boolean) r.getField(ignoreEmpty) && value.signum() == 0) {
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> e : r.getAllFields().entrySet()) {
      FieldDescriptor rf = e.getKey();
      String name = rf.getName();
      if (rf.isRepeated()) {
        List<BigDecimal> allowed = ((List<?>) e.getValue()).stream().map(o -> number(rf, o)).toList();
        boolean contained = allowed.stream().anyMatch(a -> a.compareTo(value) == 0);
        if (name.equals("in") && !contained) {
          out.add(path + ": " + value + " is not one of " + allowed);
        } else if (name.equals("not_in") && contained) {
          out.add(path + ": " + value + " is not allowed");
        }
        continue;
      }
      if (name.equals("ignore_empty")) {
        continue;
      }
      int cmp = value.compareTo(number(rf, e.getValue()));
      String bound = number(rf, e.getValue()).toPlainString();
      switch (name) {
        case "const" -> { if (cmp != 0) out.add(path + ": must be " + bound); }
        case "lt" -> { if (cmp >= 0) out.add(path + ": must be less than " + bound + ", is " + value); }
        case "lte" -> { if (cmp > 0) out.add(path + ": must be at most " + bound + ", is " + value); }
        case "gt" -> { if (cmp <= 0) out.add(path + ": must be greater than " + bound + ", is " + value); }
        case "gte" -> { if (cmp < 0) out.add(path + ": must be at least " + bound + ", is " + value); }
        default -> { }
      }
    }
  }

  private static void checkEnum(EnumValueDescriptor v, Validate.FieldRules rules, Where path, List<String> out) {
    if (!rules.hasEnum()) {
      return;
    }
    Validate.EnumRules r = rules.getEnum();
    if (r.getDefinedOnly() && v.getIndex() < 0) {
      out.add(path + ": " + v.getNumber() + " is not a defined value");
    }
    if (r.getInCount() > 0 && !r.getInList().contains(v.getNumber())) {
      out.add(path + ": " + v.getName() + " is not allowed");
    }
    if (r.getNotInList().contains(v.getNumber())) {
      out.add(path + ": " + v.getName() + " is not allowed");
    }
  }

  private static void checkString(String v, Validate.FieldRules rules, Where path, List<String> out) {
    if (!rules.hasString()) {
      return;
    }
    Validate.StringRules r = rules.getString();
    if (r.getIgnoreEmpty() && v.isEmpty()) {
      return;
    }
    long chars = v.codePointCount(0, v.length());
    long bytes = v.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (r.hasMinLen() && chars < r.getMinLen()) {
      out.add(path + ": must have at least " + r.getMinLen() + " characters");
    }
    if (r.hasMaxLen() && chars > r.getMaxLen()) {
      out.add(path + ": must have at most " + r.getMaxLen() + " characters");
    }
    if (r.hasMinBytes() && bytes < r.getMinBytes()) {
      out.add(path + ": must have at least " + r.getMinBytes() + " bytes");
    }
    if (r.hasMaxBytes() && bytes > r.getMaxBytes()) {
      out.add(path + ": must have at most " + r.getMaxBytes() + " bytes");
    }
    if (r.hasPrefix() && !v.startsWith(r.getPrefix())) {
      out.add(path + ": must start with " + r.getPrefix());
    }
    if (r.hasSuffix() && !v.endsWith(r.getSuffix())) {
      out.add(path + ": must end with " + r.getSuffix());
    }
    if (r.hasContains() && !v.contains(r.getContains())) {
      out.add(path + ": must contain " + r.getContains());
    }
    if (r.getInCount() > 0 && !r.getInList().contains(v)) {
      out.add(path + ": " + v + " is not allowed");
    }
    if (r.getNotInList().contains(v)) {
      out.add(path + ": " + v + " is not allowed");
    }
    if (r.hasPattern() && !matchesPattern(r.getPattern(), v)) {
      out.add(path + ": does not match " + r.getPattern());
    }
    if (r.hasWellKnownRegex() && r.getStrict() && v.chars().anyMatch(c -> c == 0 || c == '\r' || c == '\n')) {
      out.add(path + ": must not contain NUL, CR or LF");
    }
  }

  /** PGV patterns are RE2; the ones Envoy uses are also valid Java patterns. */
  private static boolean matchesPattern(String pattern, String v) {
    try {
      return Pattern.compile(pattern).matcher(v).find();
    } catch (PatternSyntaxException e) {
      return true; // an RE2 construct Java lacks: don't guess
    }
  }
}
