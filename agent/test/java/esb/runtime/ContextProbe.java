package esb.runtime;

import java.io.File;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Makes an invocation's Context as esb's Java client does, for a function that uses esb's copy of
 * aws-lambda-java-core (args[0]) and for one that packages a Context with a method esb's class
 * lacks (args[1] ahead of args[0]); prints what each answers as one JSON object, for
 * agent/src/java-client.int.test.ts to check.
 */
public final class ContextProbe {
    public static void main(String[] args) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("own", describe(loader(args[0])));
        out.put("newer", describe(loader(args[1], args[0])));
        System.out.println(Json.write(out));
    }

    private static ClassLoader loader(String... dirs) throws Exception {
        URL[] urls = new URL[dirs.length];
        for (int i = 0; i < dirs.length; i++) urls[i] = new File(dirs[i]).toURI().toURL();
        return new URLClassLoader(urls, ContextProbe.class.getClassLoader());
    }

    private static Map<String, Object> describe(ClassLoader loader) throws Exception {
        Bootstrap.Invocation inv = new Bootstrap.Invocation("req-1", System.currentTimeMillis() + 60_000, "arn:aws:lambda:us-east-1:123456789012:function:probe", "Root=1-probe", null, null, new byte[0]);
        Object context = new Bootstrap.LambdaContext(loader, new Bootstrap.FunctionLogger(loader).logger()).create(inv);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("proxy", Proxy.isProxyClass(context.getClass()));
        d.put("implements", Class.forName("com.amazonaws.services.lambda.runtime.Context", false, loader).isInstance(context));
        d.put("requestId", call(loader, context, "getAwsRequestId"));
        d.put("arn", call(loader, context, "getInvokedFunctionArn"));
        d.put("trace", call(loader, context, "getXrayTraceId"));
        d.put("memory", call(loader, context, "getMemoryLimitInMB"));
        int remaining = (Integer) call(loader, context, "getRemainingTimeInMillis");
        d.put("remaining", remaining > 50_000 && remaining <= 60_000);
        d.put("tenant", call(loader, context, "getTenantId"));
        d.put("logger", call(loader, context, "getLogger") != null);
        d.put("text", context.toString());
        return d;
    }

    /** The method through the Context interface, as a handler calls it; "absent" when that Context has none. */
    private static Object call(ClassLoader loader, Object context, String name) throws Exception {
        Class<?> iface = Class.forName("com.amazonaws.services.lambda.runtime.Context", false, loader);
        Method m;
        try {
            m = iface.getMethod(name);
        } catch (NoSuchMethodException e) {
            return "absent";
        }
        return m.invoke(context);
    }
}
