package esb.runtime;

import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plain JSON values (Json.parse) -> the handler's input type, as Lambda's Java runtime binds
 * events: setters (`setX`, `withX`) or fields, property names matched without regard to case,
 * `-` or `_` (`Records` -> setRecords, `eventSourceARN` -> setEventSourceArn, `detail-type` ->
 * setDetailType), unknown properties ignored (docs/agent.md, "Java").
 */
final class Binder {
  /**
   * Whether dates are epoch seconds: in AWS's own event classes (aws-lambda-java-events) they are,
   * as Lambda's serializer reads and writes them; elsewhere milliseconds, Jackson's default.
   */
  private final boolean seconds;

  private Binder(boolean seconds) {
    this.seconds = seconds;
  }

  static boolean isAwsEvent(Class<?> c) {
    String n = c.getName();
    return n.startsWith("com.amazonaws.services.lambda.runtime.events.") || n.startsWith("com.amazonaws.services.s3.event.");
  }

  /**
   * `type` with the type variables a class of the hierarchy above `concrete` declares replaced by
   * what `concrete` binds them to (`class App extends Base<Order>`: Base's T is Order).
   */
  static Type resolve(Type type, Class<?> concrete) {
    if (!(type instanceof TypeVariable)) return type;
    Map<TypeVariable<?>, Type> bound = new HashMap<>();
    collectBindings(concrete, bound, new java.util.HashSet<>());
    Type t = type;
    for (int i = 0; i < 32 && t instanceof TypeVariable && bound.containsKey(t); i++) t = bound.get(t);
    return t;
  }

  private static void collectBindings(Class<?> c, Map<TypeVariable<?>, Type> bound, Set<Class<?>> seen) {
    if (c == null || !seen.add(c)) return;
    List<Type> supers = new ArrayList<>();
    if (c.getGenericSuperclass() != null) supers.add(c.getGenericSuperclass());
    for (Type i : c.getGenericInterfaces()) supers.add(i);
    for (Type s : supers) {
      if (s instanceof ParameterizedType) {
        ParameterizedType p = (ParameterizedType) s;
        TypeVariable<?>[] vars = ((Class<?>) p.getRawType()).getTypeParameters();
        Type[] args = p.getActualTypeArguments();
        for (int i = 0; i < vars.length && i < args.length; i++) bound.put(vars[i], args[i]);
      }
      collectBindings(rawClass(s), bound, seen);
    }
  }

  /** The handler's input: `type` is the method's declared parameter type. */
  static Object bindEvent(Object json, Type type) {
    return new Binder(isAwsEvent(rawClass(type))).bind(json, type, "");
  }

  /** A property's path: `where`.`key`. */
  private static String at(String where, String key) {
    return where.isEmpty() ? key : where + "." + key;
  }

  /** " (at path)" for an error message, nothing at the top. */
  private static String atText(String where) {
    return where.isEmpty() ? "" : " (at " + where + ")";
  }

  /** What a reflective call threw: the cause of an InvocationTargetException. */
  private static Throwable causeOf(ReflectiveOperationException e) {
    return e.getCause() != null ? e.getCause() : e;
  }

  Object bind(Object json, Type type, String where) {
    if (type instanceof Class) return bindClass(json, (Class<?>) type, null, where);
    if (type instanceof ParameterizedType) {
      ParameterizedType p = (ParameterizedType) type;
      return bindClass(json, (Class<?>) p.getRawType(), p.getActualTypeArguments(), where);
    }
    if (type instanceof GenericArrayType) return bindArray(json, ((GenericArrayType) type).getGenericComponentType(), where);
    if (type instanceof WildcardType) return bind(json, ((WildcardType) type).getUpperBounds()[0], where);
    if (type instanceof TypeVariable) {
      Type[] bounds = ((TypeVariable<?>) type).getBounds();
      return bind(json, bounds.length > 0 ? bounds[0] : Object.class, where);
    }
    return json;
  }

  private static IllegalArgumentException cannot(String where, Object json, String target) {
    return new IllegalArgumentException("cannot bind " + describe(json) + " to " + target + atText(where));
  }

  private static String describe(Object json) {
    if (json == null) return "null";
    if (json instanceof Map) return "a JSON object";
    if (json instanceof List) return "a JSON array";
    if (json instanceof String) return "a JSON string";
    if (json instanceof Boolean) return "a JSON boolean";
    return "a JSON number";
  }

  private static Object primitiveDefault(Class<?> c) {
    if (c == boolean.class) return false;
    if (c == char.class) return '\0';
    if (c == long.class) return 0L;
    if (c == double.class) return 0d;
    if (c == float.class) return 0f;
    if (c == short.class) return (short) 0;
    if (c == byte.class) return (byte) 0;
    return 0;
  }

  private Object bindClass(Object json, Class<?> c, Type[] args, String where) {
    if (c == Object.class) return json;
    if (json == null) return c.isPrimitive() ? primitiveDefault(c) : null;
    if (c == String.class || c == CharSequence.class) return json instanceof String ? json : json instanceof Map || json instanceof List ? Json.write(json) : json.toString();
    if (c.isPrimitive() || Number.class.isAssignableFrom(c) || c == Boolean.class || c == Character.class) return scalar(json, c, where);
    if (c.isEnum()) return enumOf(json, c, where);
    if (c == byte[].class) return decode(json, where);
    if (c == ByteBuffer.class) return ByteBuffer.wrap(decode(json, where));
    if (c == Date.class) {
      if (json instanceof Number) {
        if (!seconds) return new Date(((Number) json).longValue());
        double seconds = ((Number) json).doubleValue();
        return seconds == 0 ? null : new Date((long) (seconds * 1000));
      }
      if (json instanceof String) return Date.from(Instant.parse((String) json));
      throw cannot(where, json, "java.util.Date");
    }
    if (Map.class.isAssignableFrom(c)) return bindMap(json, c, args, where);
    if (Collection.class.isAssignableFrom(c)) return bindCollection(json, c, args, where);
    if (c.isArray()) return bindArray(json, c.getComponentType(), where);
    if (!(json instanceof Map)) {
      Object made = fromText(json, c);
      if (made != null) return made;
      throw cannot(where, json, c.getName());
    }
    return bindObject(castMap(json), c, where);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object json) {
    return (Map<String, Object>) json;
  }

  private static Object scalar(Object json, Class<?> c, String where) {
    if (c == boolean.class || c == Boolean.class) {
      if (json instanceof Boolean) return json;
      if ("true".equalsIgnoreCase(String.valueOf(json))) return true;
      if ("false".equalsIgnoreCase(String.valueOf(json))) return false;
      throw cannot(where, json, "a boolean");
    }
    if (c == char.class || c == Character.class) {
      String s = String.valueOf(json);
      if (s.length() == 1) return s.charAt(0);
      throw cannot(where, json, "a char");
    }
    BigDecimal n;
    try {
      n = json instanceof Number ? new BigDecimal(json.toString()) : json instanceof String ? new BigDecimal(((String) json).trim()) : null;
    } catch (NumberFormatException e) {
      n = null;
    }
    if (n == null) throw cannot(where, json, c.getSimpleName());
    if (c == int.class || c == Integer.class) return n.intValue();
    if (c == long.class || c == Long.class) return n.longValue();
    if (c == double.class || c == Double.class) return n.doubleValue();
    if (c == float.class || c == Float.class) return n.floatValue();
    if (c == short.class || c == Short.class) return n.shortValue();
    if (c == byte.class || c == Byte.class) return n.byteValue();
    if (c == BigInteger.class) return n.toBigInteger();
    if (c == BigDecimal.class) return n;
    if (c == Number.class) return json instanceof Number ? json : n;
    throw cannot(where, json, c.getName());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object enumOf(Object json, Class<?> c, String where) {
    String name = String.valueOf(json);
    for (Object constant : c.getEnumConstants()) if (((Enum) constant).name().equals(name)) return constant;
    for (Object constant : c.getEnumConstants()) if (((Enum) constant).name().equalsIgnoreCase(name)) return constant;
    throw cannot(where, json, "enum " + c.getSimpleName() + " (no constant " + name + ")");
  }

  /** Bytes from base64 text, or from an array of numbers as Jackson also takes them (Kafka's record headers). */
  private static byte[] decode(Object json, String where) {
    if (json instanceof List) {
      List<?> list = (List<?>) json;
      byte[] out = new byte[list.size()];
      for (int i = 0; i < out.length; i++) {
        Object n = list.get(i);
        if (!(n instanceof Number) || ((Number) n).intValue() < -128 || ((Number) n).intValue() > 255) throw cannot(where + "[" + i + "]", n, "a byte");
        out[i] = (byte) ((Number) n).intValue();
      }
      return out;
    }
    if (!(json instanceof String)) throw cannot(where, json, "bytes (base64 text)");
    try {
      return Base64.getMimeDecoder().decode((String) json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not base64" + atText(where) + ": " + e.getMessage());
    }
  }

  /** A value made from a string or number: `parse(CharSequence)`, `valueOf(String)`, or a one-argument constructor (java.time, Joda-Time). */
  private static Object fromText(Object json, Class<?> c) {
    if (!(json instanceof String) && !(json instanceof Number)) return null;
    try {
      if (json instanceof String) {
        for (String name : new String[] {"parse", "valueOf", "of"}) {
          for (Class<?> arg : new Class<?>[] {CharSequence.class, String.class}) {
            try {
              Method m = c.getMethod(name, arg);
              if (Modifier.isStatic(m.getModifiers()) && c.isAssignableFrom(m.getReturnType())) return m.invoke(null, json);
            } catch (NoSuchMethodException ignored) {
              // next
            }
          }
        }
      }
      for (Class<?> arg : json instanceof String ? new Class<?>[] {String.class, Object.class} : new Class<?>[] {long.class, Object.class}) {
        try {
          Constructor<?> k = c.getConstructor(arg);
          return k.newInstance(arg == long.class ? ((Number) json).longValue() : json);
        } catch (NoSuchMethodException ignored) {
          // next
        }
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("cannot make a " + c.getName() + " of " + json + ": " + causeOf(e));
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private Object bindMap(Object json, Class<?> c, Type[] args, String where) {
    if (!(json instanceof Map)) throw cannot(where, json, c.getSimpleName());
    Map<Object, Object> out;
    if (!c.isInterface() && !Modifier.isAbstract(c.getModifiers())) out = (Map<Object, Object>) newInstance(c, where);
    else out = SortedMap.class.isAssignableFrom(c) ? new TreeMap<>() : c == HashMap.class ? new HashMap<>() : new LinkedHashMap<>();
    Type keyType = args != null && args.length == 2 ? args[0] : String.class;
    Type valueType = args != null && args.length == 2 ? args[1] : Object.class;
    for (Map.Entry<String, Object> e : castMap(json).entrySet()) {
      String at = at(where, e.getKey());
      Object key = keyType == String.class || keyType == Object.class ? e.getKey() : bind(e.getKey(), keyType, at);
      out.put(key, bind(e.getValue(), valueType, at));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private Object bindCollection(Object json, Class<?> c, Type[] args, String where) {
    if (!(json instanceof List)) throw cannot(where, json, c.getSimpleName());
    Collection<Object> out;
    if (!c.isInterface() && !Modifier.isAbstract(c.getModifiers())) out = (Collection<Object>) newInstance(c, where);
    else out = Set.class.isAssignableFrom(c) ? new LinkedHashSet<>() : new ArrayList<>();
    Type element = args != null && args.length == 1 ? args[0] : Object.class;
    int i = 0;
    for (Object o : (List<?>) json) out.add(bind(o, element, where + "[" + i++ + "]"));
    return out;
  }

  private Object bindArray(Object json, Type component, String where) {
    if (!(json instanceof List)) throw cannot(where, json, "an array");
    List<?> list = (List<?>) json;
    Class<?> raw = rawClass(component);
    Object out = Array.newInstance(raw, list.size());
    for (int i = 0; i < list.size(); i++) Array.set(out, i, bind(list.get(i), component, where + "[" + i + "]"));
    return out;
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class) return (Class<?>) t;
    if (t instanceof ParameterizedType) return (Class<?>) ((ParameterizedType) t).getRawType();
    if (t instanceof GenericArrayType) return Array.newInstance(rawClass(((GenericArrayType) t).getGenericComponentType()), 0).getClass();
    return Object.class;
  }

  /** The object whose property is being bound: the enclosing instance of a non-static inner class (Jackson passes it too). */
  private Object parent;

  private Object newInstance(Class<?> c, String where) {
    try {
      Class<?> outer = c.getEnclosingClass();
      if (outer != null && c.isMemberClass() && !Modifier.isStatic(c.getModifiers())) {
        // A non-static inner class (LexEvent.Bot): its constructors take the enclosing instance first.
        Constructor<?> k = c.getDeclaredConstructor(outer);
        k.setAccessible(true);
        return k.newInstance(outer.isInstance(parent) ? parent : null);
      }
      Constructor<?> k = c.getDeclaredConstructor();
      k.setAccessible(true);
      return k.newInstance();
    } catch (NoSuchMethodException e) {
      return null;
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("cannot create " + c.getName() + atText(where) + ": " + causeOf(e));
    }
  }

  // ------------------------------------------------------------------ objects

  /** One way to set a property: a one-argument method, or a field. */
  private static final class Mutator {
    final Method method;
    final Field field;
    final Type type;

    Mutator(Method method, Field field) {
      this.method = method;
      this.field = field;
      this.type = method != null ? method.getGenericParameterTypes()[0] : field.getGenericType();
    }

    void set(Object target, Object value) throws ReflectiveOperationException {
      if (method != null) method.invoke(target, value);
      else field.set(target, value);
    }
  }

  private static final Map<Class<?>, Map<String, List<Mutator>>> MUTATORS = new ConcurrentHashMap<>();

  static String normalize(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c != '_' && c != '-') b.append(Character.toLowerCase(c));
    }
    return b.toString();
  }

  private static Map<String, List<Mutator>> mutators(Class<?> c) {
    Map<String, List<Mutator>> known = MUTATORS.get(c);
    if (known != null) return known;
    Map<String, List<Mutator>> out = new HashMap<>();
    for (Method m : c.getMethods()) {
      if (m.getParameterCount() != 1 || Modifier.isStatic(m.getModifiers()) || m.isBridge()) continue;
      String n = m.getName();
      String prop = n.startsWith("set") && n.length() > 3 ? n.substring(3) : n.startsWith("with") && n.length() > 4 ? n.substring(4) : null;
      if (prop == null) continue;
      if (!Modifier.isPublic(m.getDeclaringClass().getModifiers())) m.setAccessible(true);
      // No lambda here: the first one a JVM links costs milliseconds of a cold start.
      List<Mutator> same = out.get(normalize(prop));
      if (same == null) out.put(normalize(prop), same = new ArrayList<>());
      same.add(new Mutator(m, null));
    }
    // Fields where no method sets the property (Jackson sets a private field that has a getter).
    for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
      for (Field f : k.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers()) || f.isSynthetic()) continue;
        String key = normalize(f.getName());
        if (out.containsKey(key)) continue;
        try {
          f.setAccessible(true);
        } catch (RuntimeException e) {
          continue; // a module that does not open it
        }
        List<Mutator> l = new ArrayList<>();
        l.add(new Mutator(null, f));
        out.put(key, l);
      }
    }
    MUTATORS.put(c, out);
    return out;
  }

  /** How well a JSON value suits a parameter type: the overload of a setter to use. */
  private static int fit(Object json, Type type) {
    Class<?> c = rawClass(type);
    if (json == null) return c.isPrimitive() ? 0 : 2;
    if (json instanceof String) return c == String.class ? 3 : c.isEnum() || c == ByteBuffer.class || c == byte[].class ? 2 : c.isPrimitive() || Number.class.isAssignableFrom(c) ? 0 : 1;
    if (json instanceof Number) return c.isPrimitive() || Number.class.isAssignableFrom(c) ? 3 : c == String.class ? 1 : 0;
    if (json instanceof Boolean) return c == boolean.class || c == Boolean.class ? 3 : c == String.class ? 1 : 0;
    if (json instanceof List) return Collection.class.isAssignableFrom(c) || c.isArray() ? 3 : c == Object.class ? 2 : 0;
    return Map.class.isAssignableFrom(c) ? 3 : c == String.class || c.isPrimitive() || Number.class.isAssignableFrom(c) || Collection.class.isAssignableFrom(c) ? 0 : 2;
  }

  /**
   * The S3 event classes (aws-lambda-java-events, and the v1 SDK's) are made through their
   * constructors, whose parameters have no names at run time: Lambda's serializer calls them with
   * these properties, in this order.
   */
  private static final Map<String, String[]> S3_CONSTRUCTORS = new HashMap<>();

  static {
    S3_CONSTRUCTORS.put("S3Event", new String[] {"Records"});
    S3_CONSTRUCTORS.put("S3EventNotification", new String[] {"Records"});
    S3_CONSTRUCTORS.put("S3EventNotification$S3EventNotificationRecord",
        new String[] {"awsRegion", "eventName", "eventSource", "eventTime", "eventVersion", "requestParameters", "responseElements", "s3", "userIdentity"});
    S3_CONSTRUCTORS.put("S3EventNotification$S3Entity", new String[] {"configurationId", "bucket", "object", "s3SchemaVersion"});
    S3_CONSTRUCTORS.put("S3EventNotification$S3BucketEntity", new String[] {"name", "ownerIdentity", "arn"});
    S3_CONSTRUCTORS.put("S3EventNotification$S3ObjectEntity", new String[] {"key", "size", "eTag", "versionId", "sequencer"});
    S3_CONSTRUCTORS.put("S3EventNotification$UserIdentityEntity", new String[] {"principalId"});
    S3_CONSTRUCTORS.put("S3EventNotification$RequestParametersEntity", new String[] {"sourceIPAddress"});
    S3_CONSTRUCTORS.put("S3EventNotification$ResponseElementsEntity", new String[] {"x-amz-id-2", "x-amz-request-id"});
  }

  private static String[] s3ConstructorOf(Class<?> c) {
    String n = c.getName();
    for (String pkg : new String[] {"com.amazonaws.services.lambda.runtime.events.models.s3.", "com.amazonaws.services.s3.event.", "com.amazonaws.services.lambda.runtime.events."}) {
      if (n.startsWith(pkg)) return S3_CONSTRUCTORS.get(n.substring(pkg.length()));
    }
    return null;
  }

  private Object bindObject(Map<String, Object> json, Class<?> c, String where) {
    if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) throw cannot(where, json, c.getName() + " (an interface or abstract class)");
    String[] s3 = s3ConstructorOf(c);
    if (s3 != null) return byConstructor(json, c, s3, where);
    Object target = newInstance(c, where);
    if (target == null) return byNamedConstructor(json, c, where);
    Map<String, List<Mutator>> all = mutators(c);
    for (Map.Entry<String, Object> e : json.entrySet()) {
      List<Mutator> candidates = all.get(normalize(e.getKey()));
      if (candidates == null) continue; // unknown properties are ignored
      Mutator best = candidates.get(0);
      for (Mutator m : candidates) if (fit(e.getValue(), m.type) > fit(e.getValue(), best.type)) best = m;
      String at = at(where, e.getKey());
      Object outer = parent;
      parent = target;
      try {
        best.set(target, bind(e.getValue(), best.type, at));
      } catch (ReflectiveOperationException x) {
        throw new IllegalArgumentException("cannot set " + at + " of " + c.getName() + ": " + causeOf(x));
      } finally {
        parent = outer;
      }
    }
    return target;
  }

  /**
   * A class without a no-argument constructor: the constructor whose parameters all carry a
   * name annotation (Jackson's @JsonProperty("name"), read by its `value()`), as some event
   * classes are written.
   */
  private Object byNamedConstructor(Map<String, Object> json, Class<?> c, String where) {
    Map<String, Object> byKey = byNormalizedKey(json);
    for (Constructor<?> k : c.getDeclaredConstructors()) {
      Annotation[][] annotations = k.getParameterAnnotations();
      String[] names = new String[annotations.length];
      boolean named = annotations.length > 0;
      for (int i = 0; i < annotations.length && named; i++) {
        for (Annotation a : annotations[i]) {
          try {
            Object v = a.annotationType().getMethod("value").invoke(a);
            if (v instanceof String && !((String) v).isEmpty()) names[i] = (String) v;
          } catch (ReflectiveOperationException ignored) {
            // not a name
          }
        }
        named = names[i] != null;
      }
      if (named) return construct(k, names, byKey, c, where);
    }
    throw new IllegalArgumentException("cannot create " + c.getName() + atText(where) + ": it has no constructor without arguments");
  }

  private static Map<String, Object> byNormalizedKey(Map<String, Object> json) {
    Map<String, Object> byKey = new HashMap<>();
    for (Map.Entry<String, Object> e : json.entrySet()) byKey.put(normalize(e.getKey()), e.getValue());
    return byKey;
  }

  /** Through the constructor of `names.length` parameters, given the properties of these names in order. */
  private Object byConstructor(Map<String, Object> json, Class<?> c, String[] names, String where) {
    Map<String, Object> byKey = byNormalizedKey(json);
    for (Constructor<?> k : c.getDeclaredConstructors()) {
      // S3ObjectEntity also has older constructors of four parameters (an Integer size): the newest one.
      if (k.getParameterCount() == names.length && !k.isAnnotationPresent(Deprecated.class)) return construct(k, names, byKey, c, where);
    }
    throw new IllegalArgumentException("cannot create " + c.getName() + atText(where) + ": no constructor of " + names.length + " parameters");
  }

  private Object construct(Constructor<?> k, String[] names, Map<String, Object> byKey, Class<?> c, String where) {
    Type[] types = k.getGenericParameterTypes();
    Object[] values = new Object[names.length];
    for (int i = 0; i < names.length; i++) values[i] = bind(byKey.get(normalize(names[i])), types[i], at(where, names[i]));
    try {
      k.setAccessible(true);
      return k.newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("cannot create " + c.getName() + ": " + causeOf(e));
    }
  }
}
