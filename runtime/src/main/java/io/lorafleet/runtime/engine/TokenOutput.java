package io.lorafleet.runtime.engine;

import java.util.List;

/**
 * One generated token as it is produced.
 *
 * @param index     0-based index among the generated tokens
 * @param tokenId   the token
 * @param text      text this token completes, safe to show now (may be empty while a UTF-8 character or a
 *                  possible stop sequence is pending)
 * @param logprob   log-probability of the token under the model (log-softmax of the raw logits)
 * @param top       the most likely tokens at this step when requested, else empty
 * @param special   whether the tokenizer marks the token special
 * @param finishReason set on the request's last token (its text then includes everything still pending),
 *                  null on the others
 */
public record TokenOutput(int index, int tokenId, String text, float logprob, List<TopLogprob> top, boolean special,
    FinishReason finishReason) {
  public TokenOutput {
    top = List.copyOf(top);
  }

  /** Whether this is the request's last token. */
  public boolean isLast() {
    return finishReason != null;
  }
}
