package io.lorafleet.runtime.tokenizer;

/**
 * A tokenizer or chat-template problem: a missing or malformed file (the message names the file and the
 * problem), a native tokenizer failure, or a template that cannot be rendered.
 */
public class TokenizerException extends RuntimeException {
  /** Creates an exception with a message meant for the user. */
  public TokenizerException(String message) {
    super(message);
  }

  /** Creates an exception with a message meant for the user and the underlying cause. */
  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }
}
