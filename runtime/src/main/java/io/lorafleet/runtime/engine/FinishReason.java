package io.lorafleet.runtime.engine;

/** Why a sequence stopped generating. */
public enum FinishReason {
  /** max_new_tokens reached, or the context length. */
  LENGTH("length"),
  /** An end-of-sequence token was produced. */
  EOS("eos"),
  /** A stop sequence or stop token was produced. */
  STOP("stop"),
  /** The caller cancelled the request. */
  CANCELLED("cancelled");

  private final String wireName;

  FinishReason(String wireName) {
    this.wireName = wireName;
  }

  /** The lower-case name used in JSON output. */
  public String wireName() {
    return wireName;
  }
}
