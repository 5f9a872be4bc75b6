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
 */
public record TokenOutput(int index, int tokenId, String text, float logprob, List<TopLogprob> top, boolean special) {
  public TokenOutput {
    top = List.copyOf(top);
  }
}
