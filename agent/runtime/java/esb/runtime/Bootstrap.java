package esb.runtime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * esb's Lambda runtime client for Java (java8.al2 ... java25): takes events from the Runtime API
 * (AWS_LAMBDA_RUNTIME_API), runs the `_HANDLER` (`package.Class::method` or `package.Class`), and
 * answers with the result or an error document. Standard library only, so it runs beside any
 * application's libraries; the handler's own classes (RequestHandler, Context) are reached by
 * reflection. Arguments: the code folder, then layer folders (docs/agent.md, "Java").
 */
public final class Bootstrap {
  private static final String CONTEXT = "com.amazonaws.services.lambda.runtime.Context";

  private Bootstrap() {}

  public static void main(String[] args) throws Exception {
    Transport client = transport();
    FunctionLogger logger = null;
    String taskRoot = args.length > 0 ? args[0] : System.getenv().getOrDefault("LAMBDA_TASK_ROOT", ".");
    Handler handler;
    try {
      ClassLoader loader = new FunctionClassLoader(classpath(taskRoot, Arrays.copyOfRange(args, Math.min(1, args.length), args.length)), coreClasses(), Bootstrap.class.getClassLoader());
      Thread.currentThread().setContextClassLoader(loader);
      logger = new FunctionLogger(loader);
      handler = Handler.load(System.getenv().getOrDefault("_HANDLER", ""), loader, logger);
    } catch (Throwable t) {
      Throwable cause = unwrap(t);
      Map<String, Object> doc = errorDoc(cause);
      if (t instanceof HandlerError) doc.put("errorType", ((HandlerError) t).type);
      System.err.println("[ERROR] " + doc.get("errorType") + ": " + doc.get("errorMessage"));
      client.initError(Json.write(doc).getBytes(StandardCharsets.UTF_8), String.valueOf(doc.get("errorType")));
      System.exit(1);
      return;
    }
    Invocation inv = client.next();
    for (;;) {
      if (inv.traceId != null) System.setProperty("com.amazonaws.xray.traceHeader", inv.traceId);
      else System.clearProperty("com.amazonaws.xray.traceHeader");
      logger.invocation(inv.requestId);
      byte[] answer;
      String errorType = null;
      boolean last = false;
      try {
        answer = handler.invoke(inv);
      } catch (Throwable t) {
        Throwable cause = unwrap(t);
        // The JVM may be broken after these: Lambda's runtime reports the error and exits, and
        // the next event starts a new one.
        last = cause instanceof VirtualMachineError || cause instanceof IOError;
        Map<String, Object> doc = errorDoc(cause);
        logger.error(cause);
        answer = Json.write(doc).getBytes(StandardCharsets.UTF_8);
        errorType = String.valueOf(doc.get("errorType"));
      }
      System.out.flush();
      if (last) {
        client.lastError(inv.requestId, answer, errorType);
        System.exit(1);
        return;
      }
      inv = client.answerAndNext(inv.requestId, answer, errorType);
    }
  }

  /**
   * The instance channel when the process runtime gave one (-Desb.runtime.channel=stdin: standard
   * input is its socket; docs/agent.md, "The instance channel"), else the HTTP Runtime API.
   */
  private static Transport transport() throws IOException {
    if ("stdin".equals(System.getProperty("esb.runtime.channel"))) {
      // The handler reads an empty standard input, as on Lambda, not the channel's frames.
      System.setIn(new ByteArrayInputStream(new byte[0]));
      return new InstanceChannel();
    }
    String secret = "1".equals(System.getenv("ESB_ENV_STDIN")) ? secretFromStdin() : null;
    String api = System.getenv("AWS_LAMBDA_RUNTIME_API");
    if (api == null || api.isEmpty()) {
      System.err.println("bootstrap: AWS_LAMBDA_RUNTIME_API is not set");
      System.exit(1);
    }
    return new RuntimeApi(api, secret);
  }

  /** The Runtime API secret the process runtime sends as one JSON line on stdin (kept out of the environment). */
  private static String secretFromStdin() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int c; (c = System.in.read()) >= 0 && c != '\n'; ) line.write(c);
    Object values = line.size() == 0 ? null : Json.parse(new String(line.toByteArray(), StandardCharsets.UTF_8));
    if (values instanceof Map) {
      Object s = ((Map<?, ?>) values).get("ESB_RUNTIME_SECRET");
      return s == null ? null : s.toString();
    }
    return null;
  }

  /**
   * Lambda's Java classpath: the code folder, its lib/*.jar, then each layer's java/lib/*.jar;
   * last, esb's copy of the aws-lambda-java-core interfaces (`core/` beside this client's
   * classes), which Lambda's runtime provides too: a function that packages its own uses those.
   */
  static URL[] classpath(String taskRoot, String[] layers) throws MalformedURLException {
    List<URL> urls = new ArrayList<>();
    urls.add(new File(taskRoot).toURI().toURL());
    addJars(urls, new File(taskRoot, "lib"));
    for (String layer : layers) {
      addJars(urls, new File(layer, "java/lib"));
      File classes = new File(layer, "java");
      if (classes.isDirectory()) urls.add(classes.toURI().toURL());
    }
    File core = coreClasses();
    if (core != null) urls.add(core.toURI().toURL());
    return urls.toArray(new URL[0]);
  }

  /** esb's copy of the aws-lambda-java-core interfaces (`core/` beside the client), or null. */
  static File coreClasses() {
    try {
      File client = new File(Bootstrap.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      File core = new File(client.getParentFile(), "core");
      return core.isDirectory() ? core : null;
    } catch (java.net.URISyntaxException | SecurityException e) {
      return null; // no copy of the interfaces: the function's own are needed
    }
  }

  /**
   * The function's class loader: its classes, libraries and layers, then esb's copy of
   * aws-lambda-java-core. LambdaRuntime is always esb's, as on Lambda the runtime's own wins: its
   * logger is the one Context.getLogger() gives (docs/agent.md, "Log lines").
   */
  static final class FunctionClassLoader extends URLClassLoader {
    private static final String LAMBDA_RUNTIME = "com.amazonaws.services.lambda.runtime.LambdaRuntime";
    private final File core;
    /** Whether the function has used LambdaRuntime (its logger then needs each request id). */
    volatile boolean definedLambdaRuntime;

    FunctionClassLoader(URL[] urls, File core, ClassLoader parent) {
      super(urls, parent);
      this.core = core;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      if (core != null && name.equals(LAMBDA_RUNTIME)) {
        File file = new File(core, name.replace('.', '/') + ".class");
        try {
          byte[] bytes = java.nio.file.Files.readAllBytes(file.toPath());
          Class<?> defined = defineClass(name, bytes, 0, bytes.length);
          definedLambdaRuntime = true;
          return defined;
        } catch (IOException e) {
          // not in esb's copy: the function's own
        }
      }
      return super.findClass(name);
    }
  }

  private static void addJars(List<URL> urls, File dir) throws MalformedURLException {
    File[] files = dir.listFiles();
    if (files == null) return;
    Arrays.sort(files);
    for (File f : files) if (f.getName().endsWith(".jar")) urls.add(f.toURI().toURL());
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof InvocationTargetException || t instanceof ExceptionInInitializerError) && t.getCause() != null) t = t.getCause();
    return t;
  }

  /** Lambda's Java error document: errorMessage, errorType, stackTrace, and the cause's. */
  static Map<String, Object> errorDoc(Throwable t) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("errorMessage", t.getMessage() != null ? t.getMessage() : t.toString());
    doc.put("errorType", t.getClass().getName());
    // The handler's frames only: not the reflective call and the client under them.
    trimCallerFrames(t, new HashSet<>());
    StackTraceElement[] frames = t.getStackTrace();
    List<String> stack = new ArrayList<>(frames.length);
    for (StackTraceElement f : frames) stack.add(f.toString());
    doc.put("stackTrace", stack);
    if (t.getCause() != null && t.getCause() != t) doc.put("cause", errorDoc(t.getCause()));
    return doc;
  }

  private static boolean isCallerFrame(String className) {
    return className.startsWith("esb.runtime.") || className.startsWith("java.lang.reflect.") || className.startsWith("jdk.internal.reflect.") || className.startsWith("sun.reflect.");
  }

  /** An init error with Lambda's error type. */
  static final class HandlerError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String type;

    HandlerError(String type, String message) {
      super(message);
      this.type = type;
    }
  }

  /** One event and what Lambda sends with it, from either transport. */
  static final class Invocation {
    final String requestId;
    final long deadlineMs;
    final String functionArn;
    final String traceId;
    final String clientContext;
    final String cognitoIdentity;
    final byte[] body;

    Invocation(String requestId, long deadlineMs, String functionArn, String traceId, String clientContext, String cognitoIdentity, byte[] body) {
      this.requestId = requestId;
      this.deadlineMs = deadlineMs;
      this.functionArn = functionArn;
      this.traceId = traceId;
      this.clientContext = clientContext;
      this.cognitoIdentity = cognitoIdentity;
      this.body = body;
    }
  }

  /** The handler named by `_HANDLER`, with how to call it. */
  static final class Handler {
    private final Object target;
    private final Method method;
    private final Kind kind;
    private final Type input;
    /** Makes each invocation's Context; null when the method takes none. */
    private final LambdaContext contexts;

    enum Kind { STREAM, STREAM_NO_CONTEXT, EVENT_CONTEXT, EVENT, CONTEXT_ONLY, NONE }

    private Handler(Class<?> cls, Object target, Method method, Kind kind, ClassLoader loader, FunctionLogger logger) {
      this.target = target;
      this.method = method;
      this.kind = kind;
      this.contexts = kind == Kind.STREAM || kind == Kind.EVENT_CONTEXT || kind == Kind.CONTEXT_ONLY ? new LambdaContext(loader, logger.logger()) : null;
      // A base class's `handleRequest(T)`: T as the handler class binds it.
      this.input = kind == Kind.EVENT || kind == Kind.EVENT_CONTEXT ? Binder.resolve(method.getGenericParameterTypes()[0], cls) : null;
    }

    static Handler load(String spec, ClassLoader loader, FunctionLogger logger) throws Exception {
      if (spec.isEmpty()) throw new HandlerError("Runtime.HandlerNotFound", "no handler: set Handler to package.Class::method or package.Class");
      int sep = spec.indexOf("::");
      String className = sep >= 0 ? spec.substring(0, sep) : spec;
      String methodName = sep >= 0 ? spec.substring(sep + 2) : null;
      Class<?> cls;
      try {
        cls = Class.forName(className, true, loader);
      } catch (ClassNotFoundException e) {
        throw new HandlerError("java.lang.ClassNotFoundException", "Class not found: " + className);
      }
      Method m = pick(cls, methodName != null ? methodName : "handleRequest");
      if (m == null) {
        throw new HandlerError(
            "java.lang.NoSuchMethodException",
            "No public method named " + (methodName != null ? methodName : "handleRequest") + " with appropriate method signature found on class " + cls.getName());
      }
      Object target = null;
      if (!Modifier.isStatic(m.getModifiers())) {
        try {
          target = cls.getDeclaredConstructor().newInstance();
        } catch (NoSuchMethodException e) {
          throw new HandlerError("java.lang.NoSuchMethodException", "Class " + cls.getName() + " has no public constructor without arguments");
        }
      }
      if (!Modifier.isPublic(cls.getModifiers())) m.setAccessible(true);
      return new Handler(cls, target, m, kindOf(m), loader, logger);
    }

    /** The method Lambda would call: public, the name given, most parameters first (at most three), never a bridge. */
    private static Method pick(Class<?> cls, String name) {
      Method best = null;
      for (Method m : cls.getMethods()) {
        if (!m.getName().equals(name) || m.isBridge() || m.isSynthetic() || kindOf(m) == null) continue;
        if (best == null || m.getParameterCount() > best.getParameterCount()) best = m;
      }
      return best;
    }

    private static Kind kindOf(Method m) {
      Class<?>[] p = m.getParameterTypes();
      if (p.length == 3) return p[0] == InputStream.class && p[1] == OutputStream.class && p[2].getName().equals(CONTEXT) ? Kind.STREAM : null;
      if (p.length == 2) {
        if (p[0] == InputStream.class && p[1] == OutputStream.class) return Kind.STREAM_NO_CONTEXT;
        return p[1].getName().equals(CONTEXT) ? Kind.EVENT_CONTEXT : null;
      }
      if (p.length == 1) return p[0].getName().equals(CONTEXT) ? Kind.CONTEXT_ONLY : Kind.EVENT;
      return p.length == 0 ? Kind.NONE : null;
    }

    byte[] invoke(Invocation inv) throws Throwable {
      Object context = contexts != null ? contexts.create(inv) : null;
      if (kind == Kind.STREAM || kind == Kind.STREAM_NO_CONTEXT) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = new ByteArrayInputStream(inv.body);
        if (kind == Kind.STREAM) method.invoke(target, in, out, context);
        else method.invoke(target, in, out);
        return out.toByteArray();
      }
      Object result;
      if (kind == Kind.NONE) result = method.invoke(target);
      else if (kind == Kind.CONTEXT_ONLY) result = method.invoke(target, context);
      else {
        Object event = bindEvent(inv.body);
        result = kind == Kind.EVENT ? method.invoke(target, event) : method.invoke(target, event, context);
      }
      return Json.write(result).getBytes(StandardCharsets.UTF_8);
    }

    private Object bindEvent(byte[] body) {
      if (input == InputStream.class) return new ByteArrayInputStream(body);
      if (input == byte[].class) return body;
      String text = new String(body, StandardCharsets.UTF_8);
      Object json;
      try {
        json = text.trim().isEmpty() ? null : Json.parse(text);
      } catch (IllegalArgumentException e) {
        if (input == String.class || input == Object.class) return text;
        throw e;
      }
      return Binder.bindEvent(json, input);
    }
  }

  /**
   * The function's LambdaLogger (docs/agent.md, "Log lines"): esb.runtime.core.StdoutLogger,
   * which the function's class loader loads so that it implements the function's own interface
   * (a proxy calling it when that interface has a method it lacks), made when a Context first
   * needs it or an error is logged. LambdaRuntime.getLogger() writes the same way (see
   * FunctionClassLoader).
   */
  static final class FunctionLogger {
    private final ClassLoader loader;
    private boolean made;
    /** As the function's LambdaLogger; null when the function's loader has no such interface. */
    private Object logger;
    /** The StdoutLogger behind it, or null. */
    private Object impl;
    private Consumer<String> requests;
    private String requestId;

    FunctionLogger(ClassLoader loader) {
      this.loader = loader;
    }

    /** The logger as the function's LambdaLogger (made the first time). */
    @SuppressWarnings("unchecked")
    Object logger() {
      if (made) return logger;
      made = true;
      Class<?> iface = LambdaContext.classOf(loader, LambdaContext.RUNTIME_PACKAGE + "LambdaLogger");
      Class<?> implClass = LambdaContext.classOf(loader, "esb.runtime.core.StdoutLogger");
      Object target = newInstance(implClass);
      impl = target;
      requests = target instanceof Consumer ? (Consumer<String>) target : null;
      if (requests != null && requestId != null) requests.accept(requestId);
      logger = target != null && LambdaContext.implementsAll(implClass, iface) ? target : LambdaContext.proxyOf(iface, "LambdaLogger", (name, a) -> {
        if (target != null) {
          try {
            Method same = target.getClass().getMethod(name, Arrays.stream(a == null ? new Object[0] : a).map(x -> x == null ? Object.class : x.getClass()).toArray(Class<?>[]::new));
            return same.invoke(target, a);
          } catch (ReflectiveOperationException | RuntimeException e) {
            // a method StdoutLogger does not have: written as printed below
          }
        }
        if (name.equals("log") && a != null && a.length >= 1) {
          String text = a[0] instanceof byte[] ? new String((byte[]) a[0], StandardCharsets.UTF_8) : String.valueOf(a[0]);
          System.out.print(text.endsWith("\n") ? text : text + "\n");
          System.out.flush();
        }
        return null;
      });
      return logger;
    }

    private static Object newInstance(Class<?> cls) {
      try {
        return cls == null ? null : cls.getConstructor().newInstance();
      } catch (ReflectiveOperationException | LinkageError e) {
        return null;
      }
    }

    /** The request id the logger's JSON lines carry from now on. */
    void invocation(String requestId) {
      this.requestId = requestId;
      // LambdaRuntime's logger writes JSON lines with the request id too.
      if (!made && loader instanceof FunctionClassLoader && ((FunctionClassLoader) loader).definedLambdaRuntime) logger();
      if (requests != null) requests.accept(requestId);
    }

    /**
     * A handler's error, as Lambda's runtime logs it: `message: type`, then the stack trace
     * without the client's frames, as one event (at ERROR with LogFormat JSON).
     */
    void error(Throwable cause) {
      trimCallerFrames(cause, new HashSet<>());
      StringWriter trace = new StringWriter();
      cause.printStackTrace(new PrintWriter(trace));
      String message = cause.getLocalizedMessage() == null ? cause.getClass().getName() : cause.getLocalizedMessage();
      String stack = trace.toString();
      int end = stack.length();
      while (end > 0 && Character.isWhitespace(stack.charAt(end - 1))) end--;
      String text = message + ": " + cause.getClass().getName() + "\n" + stack.substring(0, end);
      logger();
      if (impl != null) {
        try {
          impl.getClass().getMethod("logError", String.class).invoke(impl, text);
          return;
        } catch (ReflectiveOperationException | RuntimeException e) {
          // written to stderr below
        }
      }
      System.err.print(text);
      System.err.flush();
    }
  }

  /** Leaves out the reflective call and the client under the handler's frames, of the error and its causes. */
  static void trimCallerFrames(Throwable t, Set<Throwable> seen) {
    if (t == null || !seen.add(t)) return;
    StackTraceElement[] frames = t.getStackTrace();
    int end = frames.length;
    while (end > 0 && isCallerFrame(frames[end - 1].getClassName())) end--;
    if (end < frames.length) t.setStackTrace(Arrays.copyOf(frames, end));
    trimCallerFrames(t.getCause(), seen);
    for (Throwable s : t.getSuppressed()) trimCallerFrames(s, seen);
  }

  /**
   * Context and LambdaLogger as the handler's own interfaces. esb's classes for them
   * (esb.runtime.core, beside its copy of the interfaces) are loaded by the handler's class
   * loader; proxies stand in when the function's aws-lambda-java-core has a method they lack.
   */
  static final class LambdaContext {
    static final String RUNTIME_PACKAGE = "com.amazonaws.services.lambda.runtime.";
    private final ClassLoader loader;
    private final Class<?> contextClass;
    private final Object logger;
    /** esb.runtime.core.InvocationContext.Factory, or null: proxies. */
    private final Function<Object[], Object> contexts;
    /** Name, version, log group, log stream. */
    private final String[] function;
    private final int memoryMb;

    @SuppressWarnings("unchecked")
    LambdaContext(ClassLoader loader, Object logger) {
      this.loader = loader;
      this.contextClass = classOf(loader, CONTEXT);
      this.logger = logger;
      Function<Object[], Object> factory = null;
      if (implementsAll(classOf(loader, "esb.runtime.core.InvocationContext"), contextClass)) {
        try {
          factory = (Function<Object[], Object>) classOf(loader, "esb.runtime.core.InvocationContext$Factory").getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
          factory = null;
        }
      }
      this.contexts = factory;
      Map<String, String> env = System.getenv();
      this.function = new String[] {
        env.get("AWS_LAMBDA_FUNCTION_NAME"), env.getOrDefault("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"), env.get("AWS_LAMBDA_LOG_GROUP_NAME"), env.get("AWS_LAMBDA_LOG_STREAM_NAME"),
      };
      this.memoryMb = Integer.parseInt(env.getOrDefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"));
    }

    /** Whether `impl` implements every abstract method of `iface`, the function's own version of that interface. */
    static boolean implementsAll(Class<?> impl, Class<?> iface) {
      if (impl == null || iface == null || !iface.isAssignableFrom(impl)) return false;
      for (Method m : iface.getMethods()) {
        if (!Modifier.isAbstract(m.getModifiers())) continue;
        try {
          if (Modifier.isAbstract(impl.getMethod(m.getName(), m.getParameterTypes()).getModifiers())) return false;
        } catch (NoSuchMethodException | LinkageError e) {
          return false;
        }
      }
      return true;
    }

    Object create(Invocation inv) {
      Object identity = inv.cognitoIdentity == null ? null : identity(inv.cognitoIdentity);
      Object clientContext = inv.clientContext == null ? null : clientContext(inv.clientContext);
      if (contexts != null) return contexts.apply(new Object[] {inv.requestId, inv.deadlineMs, inv.functionArn, inv.traceId, function, memoryMb, logger, identity, clientContext});
      return proxyOf(contextClass, "Context(" + inv.requestId + ")", (name, a) -> {
        switch (name) {
          case "getAwsRequestId": return inv.requestId;
          case "getLogGroupName": return function[2];
          case "getLogStreamName": return function[3];
          case "getFunctionName": return function[0];
          case "getFunctionVersion": return function[1];
          case "getInvokedFunctionArn": return inv.functionArn;
          case "getRemainingTimeInMillis": return (int) Math.max(0, Math.min(Integer.MAX_VALUE, inv.deadlineMs - System.currentTimeMillis()));
          case "getMemoryLimitInMB": return memoryMb;
          case "getLogger": return logger;
          case "getIdentity": return identity;
          case "getClientContext": return clientContext;
          case "getXrayTraceId": return inv.traceId;
          default: return null;
        }
      });
    }

    static Object defaultValue(Method m) {
      Class<?> r = m.getReturnType();
      if (r == boolean.class) return false;
      if (r == int.class) return 0;
      if (r == long.class) return 0L;
      return null;
    }

    private static Map<?, ?> parsed(String json) {
      try {
        Object v = Json.parse(json);
        return v instanceof Map ? (Map<?, ?>) v : new LinkedHashMap<>();
      } catch (IllegalArgumentException e) {
        return new LinkedHashMap<>();
      }
    }

    private Object identity(String json) {
      Map<?, ?> m = parsed(json);
      return proxyOf(classOf(loader, RUNTIME_PACKAGE + "CognitoIdentity"), RUNTIME_PACKAGE + "CognitoIdentity", (name, a) -> {
        if (name.equals("getIdentityId")) return m.get("cognitoIdentityId");
        if (name.equals("getIdentityPoolId")) return m.get("cognitoIdentityPoolId");
        return null;
      });
    }

    private Object clientContext(String json) {
      Map<?, ?> m = parsed(json);
      Object client = m.get("client") instanceof Map ? m.get("client") : new LinkedHashMap<>();
      Map<?, ?> c = (Map<?, ?>) client;
      Object clientProxy = proxyOf(classOf(loader, RUNTIME_PACKAGE + "Client"), RUNTIME_PACKAGE + "Client", (name, a) -> {
        if (name.equals("getInstallationId")) return c.get("installation_id");
        if (name.equals("getAppTitle")) return c.get("app_title");
        if (name.equals("getAppVersionName")) return c.get("app_version_name");
        if (name.equals("getAppVersionCode")) return c.get("app_version_code");
        if (name.equals("getAppPackageName")) return c.get("app_package_name");
        return null;
      });
      return proxyOf(classOf(loader, RUNTIME_PACKAGE + "ClientContext"), RUNTIME_PACKAGE + "ClientContext", (name, a) -> {
        if (name.equals("getClient")) return clientProxy;
        if (name.equals("getCustom")) return m.get("custom") instanceof Map ? m.get("custom") : null;
        if (name.equals("getEnvironment")) return m.get("env") instanceof Map ? m.get("env") : null;
        return null;
      });
    }

    /** A class or interface of the handler's class loader, or null when it has none of that name (or cannot link it). */
    static Class<?> classOf(ClassLoader loader, String name) {
      try {
        return Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        return null;
      }
    }

    /** The answer of one method, by name and arguments; null for a method it does not know. */
    interface Answers {
      Object answer(String method, Object[] args);
    }

    /** A proxy of `iface` (null when there is none) that answers by `answers`, with identity equality and `label` for toString. */
    static Object proxyOf(Class<?> iface, String label, Answers answers) {
      if (iface == null) return null;
      return Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface}, (proxy, m, a) -> {
        switch (m.getName()) {
          case "hashCode": return System.identityHashCode(proxy);
          case "equals": return proxy == a[0];
          case "toString": return label;
          default:
            Object v = answers.answer(m.getName(), a);
            return v != null ? v : defaultValue(m);
        }
      });
    }
  }
}
