package io.lorafleet.runtime.tokenizer;

import java.util.Objects;

/**
 * One turn of a conversation as a chat template sees it: {@code message['role']} and {@code
 * message['content']}.
 *
 * @param role the speaker, usually {@code system}, {@code user} or {@code assistant}
 * @param content the text of the turn
 */
public record ChatMessage(String role, String content) {
  /** Validates that neither part is null. */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }
}
