package io.lorafleet.runtime.tokenizer;

/**
 * A chat template could not produce a prompt. Either the template itself called {@code
 * raise_exception(msg)} (the conversation is not acceptable to this model, e.g. roles do not alternate:
 * {@link #raisedByTemplate()} is {@code true} and the message is exactly {@code msg}, so a server can
 * answer "bad request" with it), or the template is broken (syntax error, unknown function or filter).
 */
public final class ChatTemplateException extends TokenizerException {
  private final boolean raisedByTemplate;

  ChatTemplateException(String message, boolean raisedByTemplate) {
    super(message);
    this.raisedByTemplate = raisedByTemplate;
  }

  /** Whether the template rejected the conversation through {@code raise_exception} (not a template bug). */
  public boolean raisedByTemplate() {
    return raisedByTemplate;
  }
}
