package esb.runtime;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * JSON text <-> plain values (Map, List, String, Integer/Long/BigInteger, Double/BigDecimal,
 * Boolean, null), and objects -> JSON text as Lambda's Java runtime writes results: bean
 * getters (`getX`, `isX`) and public fields, null properties left out, byte arrays and
 * ByteBuffers as base64, dates as epoch milliseconds (docs/agent.md, "Java").
 */
final class Json {
  private Json() {}

  /** Deeper than this is an error rather than a stack overflow (a result that refers to itself). */
  static final int MAX_DEPTH = 512;

  static Object parse(String text) {
    Parser p = new Parser(text);
    p.space();
    Object v = p.value(0);
    p.space();
    if (p.i != text.length()) throw p.error("unexpected text after the JSON value");
    return v;
  }

  private static final class Parser {
    final String s;
    int i;

    Parser(String s) {
      this.s = s;
    }

    IllegalArgumentException error(String why) {
      return new IllegalArgumentException("invalid JSON at offset " + i + ": " + why);
    }

    void space() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') i++;
        else break;
      }
    }

    Object value(int depth) {
      if (depth > MAX_DEPTH) throw error("nested too deeply");
      if (i >= s.length()) throw error("unexpected end");
      char c = s.charAt(i);
      switch (c) {
        case '{': {
          i++;
          Map<String, Object> m = new LinkedHashMap<>();
          space();
          if (peek('}')) return m;
          for (;;) {
            space();
            if (i >= s.length() || s.charAt(i) != '"') throw error("expected a property name");
            String k = string();
            space();
            expect(':');
            space();
            m.put(k, value(depth + 1));
            space();
            if (peek('}')) return m;
            expect(',');
          }
        }
        case '[': {
          i++;
          List<Object> l = new ArrayList<>();
          space();
          if (peek(']')) return l;
          for (;;) {
            space();
            l.add(value(depth + 1));
            space();
            if (peek(']')) return l;
            expect(',');
          }
        }
        case '"':
          return string();
        case 't':
          word("true");
          return Boolean.TRUE;
        case 'f':
          word("false");
          return Boolean.FALSE;
        case 'n':
          word("null");
          return null;
        default:
          if (c == '-' || (c >= '0' && c <= '9')) return number();
          throw error("unexpected character '" + c + "'");
      }
    }

    boolean peek(char c) {
      if (i < s.length() && s.charAt(i) == c) {
        i++;
        return true;
      }
      return false;
    }

    void expect(char c) {
      if (!peek(c)) throw error("expected '" + c + "'");
    }

    void word(String w) {
      if (!s.startsWith(w, i)) throw error("unexpected word");
      i += w.length();
    }

    Object number() {
      int start = i;
      boolean decimal = false;
      if (s.charAt(i) == '-') i++;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c >= '0' && c <= '9') i++;
        else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
          decimal = true;
          i++;
        } else break;
      }
      String t = s.substring(start, i);
      try {
        if (decimal) {
          double d = Double.parseDouble(t);
          return Double.isInfinite(d) ? new BigDecimal(t) : (Object) d;
        }
        BigInteger b = new BigInteger(t);
        if (b.bitLength() < 32) return b.intValue();
        if (b.bitLength() < 64) return b.longValue();
        return b;
      } catch (NumberFormatException e) {
        throw error("bad number " + t);
      }
    }

    String string() {
      i++; // the opening quote
      StringBuilder b = null;
      int start = i;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '"') {
          String out = b == null ? s.substring(start, i) : b.append(s, start, i).toString();
          i++;
          return out;
        }
        if (c == '\\') {
          if (b == null) b = new StringBuilder();
          b.append(s, start, i);
          i++;
          if (i >= s.length()) break;
          char e = s.charAt(i++);
          switch (e) {
            case '"': b.append('"'); break;
            case '\\': b.append('\\'); break;
            case '/': b.append('/'); break;
            case 'b': b.append('\b'); break;
            case 'f': b.append('\f'); break;
            case 'n': b.append('\n'); break;
            case 'r': b.append('\r'); break;
            case 't': b.append('\t'); break;
            case 'u':
              if (i + 4 > s.length()) throw error("bad \\u escape");
              try {
                b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              } catch (NumberFormatException x) {
                throw error("bad \\u escape");
              }
              i += 4;
              break;
            default:
              throw error("bad escape \\" + e);
          }
          start = i;
        } else {
          i++;
        }
      }
      throw error("unterminated string");
    }
  }

  // ------------------------------------------------------------------ writing

  static String write(Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, 0, value != null && Binder.isAwsEvent(value.getClass()));
    return b.toString();
  }

  static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        case '\b': b.append("\\b"); break;
        case '\f': b.append("\\f"); break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
      }
    }
    b.append('"');
  }

  /** `seconds`: dates as epoch seconds, as in AWS's event classes (Binder.isAwsEvent). */
  private static void write(StringBuilder b, Object v, int depth, boolean seconds) {
    if (depth > MAX_DEPTH) throw new IllegalStateException("the result is nested more than " + MAX_DEPTH + " deep (does it refer to itself?)");
    if (v == null) {
      b.append("null");
    } else if (v instanceof CharSequence || v instanceof Character) {
      quote(b, v.toString());
    } else if (v instanceof Boolean) {
      b.append(v.toString());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) quote(b, v.toString());
      else b.append(v.toString());
    } else if (v instanceof BigDecimal) {
      b.append(((BigDecimal) v).toPlainString());
    } else if (v instanceof Number) {
      b.append(v.toString());
    } else if (v instanceof Enum) {
      quote(b, ((Enum<?>) v).name());
    } else if (v instanceof byte[]) {
      quote(b, Base64.getEncoder().encodeToString((byte[]) v));
    } else if (v instanceof ByteBuffer) {
      ByteBuffer buf = ((ByteBuffer) v).duplicate();
      byte[] bytes = new byte[buf.remaining()];
      buf.get(bytes);
      quote(b, Base64.getEncoder().encodeToString(bytes));
    } else if (v instanceof Date) {
      // Epoch seconds in AWS's event classes (DynamoDB's ApproximateCreationDateTime), else milliseconds.
      long ms = ((Date) v).getTime();
      if (seconds) b.append(ms % 1000 == 0 ? Long.toString(ms / 1000) + ".0" : Double.toString(ms / 1000.0));
      else b.append(ms);
    } else if (v instanceof Optional) {
      write(b, ((Optional<?>) v).orElse(null), depth + 1, seconds);
    } else if (v instanceof Map) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!first) b.append(',');
        first = false;
        quote(b, String.valueOf(e.getKey()));
        b.append(':');
        write(b, e.getValue(), depth + 1, seconds);
      }
      b.append('}');
    } else if (v instanceof Iterable) {
      b.append('[');
      boolean first = true;
      for (Object o : (Iterable<?>) v) {
        if (!first) b.append(',');
        first = false;
        write(b, o, depth + 1, seconds);
      }
      b.append(']');
    } else if (v.getClass().isArray()) {
      b.append('[');
      for (int i = 0, n = Array.getLength(v); i < n; i++) {
        if (i > 0) b.append(',');
        write(b, Array.get(v, i), depth + 1, seconds);
      }
      b.append(']');
    } else if (isTextual(v.getClass())) {
      quote(b, v.toString());
    } else {
      b.append('{');
      boolean first = true;
      for (Property p : properties(v.getClass())) {
        Object value = p.get(v);
        if (value == null) continue;
        if (!first) b.append(',');
        first = false;
        quote(b, p.name);
        b.append(':');
        write(b, value, depth + 1, seconds);
      }
      b.append('}');
    }
  }

  /** Values written as their text: java.time, Joda-Time (the events' dates), UUIDs, URIs. */
  static boolean isTextual(Class<?> c) {
    String n = c.getName();
    return n.startsWith("java.time.") || n.startsWith("org.joda.time.") || n.equals("java.util.UUID") || n.equals("java.net.URI") || n.equals("java.net.URL");
  }

  private static final class Property {
    final String name;
    final Method getter;
    final Field field;

    Property(String name, Method getter, Field field) {
      this.name = name;
      this.getter = getter;
      this.field = field;
    }

    Object get(Object target) {
      try {
        return getter != null ? getter.invoke(target) : field.get(target);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("reading property " + name + " of " + target.getClass().getName() + ": " + e, e);
      }
    }
  }

  private static final Map<Class<?>, List<Property>> PROPERTIES = new ConcurrentHashMap<>();

  /**
   * A getter's property name by the JavaBeans rule Lambda's serializer uses (Jackson's
   * USE_STD_BEAN_NAMING): `getStatusCode` -> statusCode, `getIsBase64Encoded` -> isBase64Encoded,
   * `getURL` -> URL.
   */
  static String propertyName(String rest) {
    if (rest.length() > 1 && Character.isUpperCase(rest.charAt(0)) && Character.isUpperCase(rest.charAt(1))) return rest;
    return Character.toLowerCase(rest.charAt(0)) + rest.substring(1);
  }

  private static List<Property> properties(Class<?> c) {
    List<Property> known = PROPERTIES.get(c);
    if (known != null) return known;
    Map<String, Property> out = new LinkedHashMap<>();
    for (Method m : c.getMethods()) {
      if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) continue;
      String n = m.getName();
      String name = null;
      if (n.startsWith("get") && n.length() > 3 && m.getReturnType() != void.class) name = propertyName(n.substring(3));
      else if (n.startsWith("is") && n.length() > 2 && (m.getReturnType() == boolean.class || m.getReturnType() == Boolean.class)) name = propertyName(n.substring(2));
      if (name == null || out.containsKey(name)) continue;
      if (!Modifier.isPublic(m.getDeclaringClass().getModifiers())) m.setAccessible(true);
      out.put(name, new Property(name, m, null));
    }
    for (Field f : c.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) || out.containsKey(f.getName())) continue;
      out.put(f.getName(), new Property(f.getName(), null, f));
    }
    List<Property> list = new ArrayList<>(out.values());
    PROPERTIES.put(c, list);
    return list;
  }
}
