package esb.runtime;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The instance channel (docs/agent.md, "The instance channel"): in esb's process runtime the
 * agent hands the JVM one end of a socket pair as its standard input, which only this process
 * holds, and events and results travel on it as length-prefixed frames instead of HTTP:
 * `u32 length | u8 kind | u32 meta length | meta | body` (agent/src/instance-channel.ts). Plain
 * reads and writes on file descriptor 0, not System.inheritedChannel(): that one initializes NIO's
 * selector provider and a SecureRandom, 30 ms of a cold start.
 */
final class InstanceChannel implements Transport {
  private static final byte NEXT = 'N';
  private static final byte EVENT = 'E';
  private static final byte RESPONSE = 'R';
  private static final byte ERROR = 'F';
  private static final byte INIT_ERROR = 'I';
  private static final byte LAST_ERROR = 'X';
  private static final byte RECALL = 'C';
  private static final byte RECALLED = 'B';
  /** Half the agent's 10 ms: it recalls a queued event only behind one that has run that long. */
  private static final long RECALL_AFTER_NS = 5_000_000L;
  private static final byte[] NOTHING = new byte[0];

  private final FileInputStream in = new FileInputStream(FileDescriptor.in);
  private final FileOutputStream out = new FileOutputStream(FileDescriptor.in);
  private byte[] buf = new byte[65536];
  private int start;
  private int end;
  /** EVENT frames read but not yet run: queued behind the running one (docs/agent.md, "Queued in the instance"). */
  private final ArrayDeque<Frame> events = new ArrayDeque<>();
  private long eventAt = System.nanoTime();

  private static final class Frame {
    final byte kind;
    final String meta;
    final byte[] body;

    Frame(byte kind, String meta, byte[] body) {
      this.kind = kind;
      this.meta = meta;
      this.body = body;
    }
  }

  /** The channel on standard input, which the process runtime made a socket (-Desb.runtime.channel=stdin). */
  InstanceChannel() {}

  public Bootstrap.Invocation next() throws IOException {
    send(NEXT, "", NOTHING);
    return takeEvent();
  }

  public Bootstrap.Invocation answerAndNext(String requestId, byte[] body, String errorType) throws IOException {
    long tookNs = System.nanoTime() - eventAt;
    if (tookNs >= RECALL_AFTER_NS) readRecalls();
    if (errorType == null) send(RESPONSE, requestId + tookField(tookNs), body);
    else send(ERROR, errorMeta(requestId, errorType, tookNs), body);
    return takeEvent();
  }

  public void lastError(String requestId, byte[] body, String errorType) throws IOException {
    send(LAST_ERROR, errorMeta(requestId, errorType, System.nanoTime() - eventAt), body);
  }

  /** The runtime's own time for the event in µs, for the agent's instance policy (docs/agent.md, "Instance policy"). */
  private static String tookField(long tookNs) {
    return "\0" + tookNs / 1000;
  }

  private static String errorMeta(String requestId, String errorType, long tookNs) {
    return requestId + "\0" + errorType + tookField(tookNs);
  }

  public void initError(byte[] body, String errorType) throws IOException {
    send(INIT_ERROR, errorType, body);
  }

  private Bootstrap.Invocation takeEvent() throws IOException {
    for (;;) {
      Frame f = events.isEmpty() ? frame(true) : events.poll();
      if (f == null) throw new IOException("the agent closed the instance channel");
      if (f.kind != EVENT) continue;
      eventAt = System.nanoTime();
      // request id, time limit (ms), ARN, trace id, client context, Cognito identity, output mark
      String[] m = f.meta.split("\0", -1);
      // The frame carries the time limit; the deadline counts from taking the event.
      long deadlineMs = m.length > 1 && !m[1].isEmpty() ? System.currentTimeMillis() + Long.parseLong(m[1]) : Long.MAX_VALUE;
      if ("1".equals(field(m, 6))) markOutput(m[0]);
      return new Bootstrap.Invocation(m[0], deadlineMs, field(m, 2), field(m, 3), field(m, 4), field(m, 5), f.body);
    }
  }

  private static String field(String[] m, int i) {
    return m.length > i && !m[i].isEmpty() ? m[i] : null;
  }

  /**
   * An event queued behind another, of a function that prints: the line that tells the agent
   * where this event's output starts on stdout and stderr (OUTPUT_MARK in
   * agent/src/instance-channel.ts).
   */
  private static void markOutput(String requestId) {
    String mark = "\u001eesb-event " + requestId + "\n";
    System.out.flush();
    System.err.flush();
    System.out.print(mark);
    System.out.flush();
    System.err.print(mark);
    System.err.flush();
  }

  /** What the agent sent while the event ran, without waiting: events are kept, a RECALL drops a queued one (confirmed). */
  private void readRecalls() throws IOException {
    for (Frame f; (f = frame(false)) != null; ) {
      if (f.kind == EVENT) {
        events.add(f);
      } else if (f.kind == RECALL) {
        for (Iterator<Frame> it = events.iterator(); it.hasNext(); ) {
          Frame queued = it.next();
          if (queued.meta.startsWith(f.meta + "\0")) {
            it.remove();
            send(RECALLED, f.meta, NOTHING);
            break;
          }
        }
      }
    }
  }

  /** The next whole frame; null when the agent closed the channel, or (not blocking) when none has come whole. */
  private Frame frame(boolean blocking) throws IOException {
    for (;;) {
      int have = end - start;
      if (have >= 9) {
        int length = readInt(start);
        if (length < 5) throw new IOException("bad frame from the agent (length " + length + ")");
        if (have >= 4 + length) {
          byte kind = buf[start + 4];
          int metaLength = readInt(start + 5);
          if (metaLength < 0 || metaLength > length - 5) throw new IOException("bad frame from the agent (meta " + metaLength + ")");
          String meta = new String(buf, start + 9, metaLength, StandardCharsets.UTF_8);
          int bodyStart = start + 9 + metaLength;
          int bodyLength = length - 5 - metaLength;
          byte[] body = new byte[bodyLength];
          System.arraycopy(buf, bodyStart, body, 0, bodyLength);
          start += 4 + length;
          if (start == end) start = end = 0;
          return new Frame(kind, meta, body);
        }
        room(4 + length);
      } else {
        room(9);
      }
      // Not blocking: only what has come already (available() asks the socket, FIONREAD).
      int ready = blocking ? buf.length - end : Math.min(in.available(), buf.length - end);
      if (ready == 0) return null;
      int n = in.read(buf, end, ready);
      if (n < 0) return null;
      end += n;
    }
  }

  /** Room in `buf` for a frame of `size` bytes from `start`. */
  private void room(int size) {
    if (start + size <= buf.length) return;
    byte[] next = size <= buf.length ? buf : new byte[Math.max(size, buf.length * 2)];
    System.arraycopy(buf, start, next, 0, end - start);
    end -= start;
    start = 0;
    buf = next;
  }

  private int readInt(int at) {
    return ((buf[at] & 0xff) << 24) | ((buf[at + 1] & 0xff) << 16) | ((buf[at + 2] & 0xff) << 8) | (buf[at + 3] & 0xff);
  }

  private void send(byte kind, String meta, byte[] body) throws IOException {
    byte[] m = meta.getBytes(StandardCharsets.UTF_8);
    // One write per frame: the agent wakes once for it.
    ByteBuffer frame = ByteBuffer.allocate(9 + m.length + body.length);
    frame.putInt(5 + m.length + body.length).put(kind).putInt(m.length).put(m).put(body);
    out.write(frame.array(), 0, frame.position());
  }
}
