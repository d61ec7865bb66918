package esb.runtime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Runtime API over one keep-alive HTTP/1.1 connection on a plain socket: a result and the
 * next `GET .../next` leave in one write, as esb's Node and Python clients send them
 * (docs/agent.md, "Runtime API"). Not HttpURLConnection: loading it cost a Java cold start
 * 15-20 ms more than the socket.
 */
final class RuntimeApi implements Transport {
  static final String BASE = "/2018-06-01/runtime";

  private final String host;
  private final int port;
  private final String secret;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  RuntimeApi(String address, String secret) {
    int colon = address.lastIndexOf(':');
    this.host = colon > 0 ? address.substring(0, colon) : address;
    this.port = colon > 0 ? Integer.parseInt(address.substring(colon + 1)) : 80;
    this.secret = secret;
  }

  /** One answer: status, headers (lower-case names), body. */
  static final class Answer {
    int status;
    final Map<String, String> headers = new HashMap<>();
    byte[] body;
  }

  private void connect() throws IOException {
    if (socket != null && !socket.isClosed()) return;
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port));
    in = new BufferedInputStream(socket.getInputStream(), 65536);
    out = socket.getOutputStream();
  }

  private void close() {
    try {
      if (socket != null) socket.close();
    } catch (IOException ignored) {
      // gone already
    }
    socket = null;
  }

  private void head(ByteArrayOutputStream b, String method, String path, int length, String errorType) {
    StringBuilder h = new StringBuilder(160).append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
    if (secret != null) h.append("X-Esb-Runtime-Secret: ").append(secret).append("\r\n");
    if (length >= 0) h.append("Content-Type: application/json\r\nContent-Length: ").append(length).append("\r\n");
    if (errorType != null) h.append("Lambda-Runtime-Function-Error-Type: ").append(errorType.replaceAll("[\r\n]", " ")).append("\r\n");
    byte[] bytes = h.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
    b.write(bytes, 0, bytes.length);
  }

  /** The first event. */
  public Bootstrap.Invocation next() throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        connect();
        ByteArrayOutputStream b = new ByteArrayOutputStream(256);
        head(b, "GET", BASE + "/invocation/next", -1, null);
        out.write(b.toByteArray());
        return invocationOf(read());
      } catch (IOException e) {
        close();
        if (attempt > 0) throw e;
      }
    }
  }

  /** Sends a result (or an error document) and asks for the next event in the same write. */
  public Bootstrap.Invocation answerAndNext(String requestId, byte[] body, String errorType) throws IOException {
    String path = BASE + "/invocation/" + requestId + (errorType == null ? "/response" : "/error");
    connect();
    ByteArrayOutputStream b = post(path, body, errorType);
    head(b, "GET", BASE + "/invocation/next", -1, null);
    try {
      out.write(b.toByteArray());
      reportRefused(path, read());
      return invocationOf(read());
    } catch (IOException e) {
      close();
      return next(); // the result is lost with the connection, as it would be on Lambda
    }
  }

  /** The last error document: a POST, and no next. */
  public void lastError(String requestId, byte[] body, String errorType) throws IOException {
    String path = BASE + "/invocation/" + requestId + "/error";
    connect();
    out.write(post(path, body, errorType).toByteArray());
    reportRefused(path, read());
  }

  /** The init error: a one-off POST. */
  public void initError(byte[] body, String errorType) throws IOException {
    String path = BASE + "/init/error";
    connect();
    out.write(post(path, body, errorType).toByteArray());
    reportRefused(path, read());
  }

  /** A POST of `body` to `path`, to be written. */
  private ByteArrayOutputStream post(String path, byte[] body, String errorType) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(body.length + 512);
    head(b, "POST", path, body.length, errorType);
    b.write(body, 0, body.length);
    return b;
  }

  private static void reportRefused(String path, Answer a) {
    if (a.status >= 300) System.err.println("bootstrap: POST " + path + " answered " + a.status + ": " + new String(a.body, StandardCharsets.UTF_8));
  }

  private static Bootstrap.Invocation invocationOf(Answer a) throws IOException {
    if (a.status != 200) throw new IOException("GET /invocation/next answered " + a.status + ": " + new String(a.body, StandardCharsets.UTF_8));
    String requestId = a.headers.get("lambda-runtime-aws-request-id");
    if (requestId == null) throw new IOException("GET /invocation/next answered without Lambda-Runtime-Aws-Request-Id");
    String deadline = a.headers.get("lambda-runtime-deadline-ms");
    return new Bootstrap.Invocation(
        requestId,
        deadline != null ? Long.parseLong(deadline.trim()) : Long.MAX_VALUE,
        a.headers.get("lambda-runtime-invoked-function-arn"),
        a.headers.get("lambda-runtime-trace-id"),
        a.headers.get("lambda-runtime-client-context"),
        a.headers.get("lambda-runtime-cognito-identity"),
        a.body);
  }

  private String line() throws IOException {
    StringBuilder s = new StringBuilder(64);
    for (int c; (c = in.read()) >= 0; ) {
      if (c == '\n') {
        int n = s.length();
        return n > 0 && s.charAt(n - 1) == '\r' ? s.substring(0, n - 1) : s.toString();
      }
      s.append((char) c);
      if (s.length() > 65536) throw new IOException("an HTTP header line longer than 64 KiB");
    }
    throw new IOException("the Runtime API closed the connection");
  }

  private Answer read() throws IOException {
    Answer a = new Answer();
    String status = line();
    String[] parts = status.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP answer: " + status);
    a.status = Integer.parseInt(parts[1]);
    for (String h; !(h = line()).isEmpty(); ) {
      int colon = h.indexOf(':');
      if (colon > 0) a.headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    String length = a.headers.get("content-length");
    if ("chunked".equalsIgnoreCase(a.headers.get("transfer-encoding"))) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      for (;;) {
        String size = line();
        int semi = size.indexOf(';');
        int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
        if (n == 0) {
          while (!line().isEmpty()) {
            // trailers
          }
          break;
        }
        body.write(exactly(n), 0, n);
        line();
      }
      a.body = body.toByteArray();
    } else {
      a.body = exactly(length != null ? Integer.parseInt(length.trim()) : 0);
    }
    if ("close".equalsIgnoreCase(a.headers.get("connection"))) close();
    return a;
  }

  private byte[] exactly(int n) throws IOException {
    byte[] b = new byte[n];
    for (int off = 0; off < n; ) {
      int r = in.read(b, off, n - off);
      if (r < 0) throw new IOException("the Runtime API closed the connection mid-answer");
      off += r;
    }
    return b;
  }
}
