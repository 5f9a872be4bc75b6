package io.lorafleet.actors.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.model.AttributeKey;

/**
 * One client's HTTP connection, as the requests on it see it: whoever runs work for a request registers
 * what to do when the connection goes away (cancel the generation, whether it streams or not, and also
 * while its adapter still loads) and unregisters once the work ended, so a long keep-alive connection
 * collects nothing. {@link HttpApi#connectionFlow} makes one per accepted connection and closes it when
 * the connection's request stream ends.
 */
final class ClientConnection {
  /** The request attribute that carries the connection. */
  static final AttributeKey<ClientConnection> KEY = AttributeKey.create("lorafleet-client-connection",
      ClientConnection.class);

  /** For requests that came without one (never closes). */
  static final ClientConnection NONE = new ClientConnection();

  private final Set<Runnable> onClose = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * Runs {@code action} once when the connection closes (at once if it already has); the returned handle
   * unregisters it.
   */
  Runnable onClose(Runnable action) {
    if (this == NONE) {
      return () -> { };
    }
    onClose.add(action);
    if (closed && onClose.remove(action)) {
      action.run();
    }
    return () -> onClose.remove(action);
  }

  void close() {
    closed = true;
    for (Runnable r : onClose) {
      if (onClose.remove(r)) {
        r.run();
      }
    }
  }

  /** Actions registered now (tests, metrics). */
  int watchers() {
    return onClose.size();
  }
}
