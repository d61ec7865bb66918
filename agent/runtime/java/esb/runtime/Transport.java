package esb.runtime;

import java.io.IOException;

/**
 * How the client takes events and gives back results: the HTTP Runtime API (RuntimeApi) or, in
 * esb's process runtime, the instance channel (InstanceChannel; docs/agent.md, "The instance
 * channel").
 */
interface Transport {
  /** The first event (init is over). */
  Bootstrap.Invocation next() throws IOException;

  /** The result of `requestId`, or its error document when `errorType` is not null, then the next event. */
  Bootstrap.Invocation answerAndNext(String requestId, byte[] body, String errorType) throws IOException;

  /**
   * The error document of `requestId`, after which the client exits without asking for another
   * event (a VirtualMachineError or an IOError, as Lambda's Java runtime does).
   */
  void lastError(String requestId, byte[] body, String errorType) throws IOException;

  /** The init error document; the client exits after it. */
  void initError(byte[] body, String errorType) throws IOException;
}
