package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A request's state inside the engine: its tokens (prompt, then generated), how many of them are in the
 * KV cache, the blocks holding them, and its place in the scheduler. Mutated only by the engine thread.
 */
public final class Sequence {
  /** Where the sequence is in its life. */
  public enum Status { WAITING, RUNNING, FINISHED }

  private final GenerateRequest request;
  private final GenerationListener listener;
  private final long arrivalNanos;
  private final long arrivalOrder;
  private int[] tokens;
  private int numTokens;
  private int numComputed;
  private int[] blockTable = new int[0];
  private Status status = Status.WAITING;
  private int numPreemptions;
  // Output-side state, kept here so a preempted sequence resumes where it was.
  final List<Float> logprobs = new ArrayList<>();
  final List<List<TopLogprob>> topLogprobs = new ArrayList<>();
  float[] promptLogprobs;
  StopChecker stopChecker;
  SamplerState samplerState;
  /** Where a constrained output is in its automaton; null for free text. */
  io.lorafleet.runtime.constrain.ConstraintState constraint;
  long firstTokenNanos;
  /** Whether it counts as a user of its adapter on the device (from its first step until it ends or is preempted). */
  boolean holdsAdapter;

  public Sequence(GenerateRequest request, GenerationListener listener, long arrivalOrder) {
    this.request = request;
    this.listener = listener;
    this.arrivalNanos = System.nanoTime();
    this.arrivalOrder = arrivalOrder;
    int[] prompt = request.promptTokenIds();
    this.tokens = Arrays.copyOf(prompt, prompt.length + Math.min(request.params().maxNewTokens(), 1 << 16));
    this.numTokens = prompt.length;
  }

  public GenerateRequest request() {
    return request;
  }

  public String requestId() {
    return request.requestId();
  }

  public GenerationListener listener() {
    return listener;
  }

  public LoraAdapter adapter() {
    return request.adapter();
  }

  /** Key for per-adapter fairness: the adapter id, or "" for the base model. */
  public String adapterKey() {
    return request.adapter() == null ? "" : request.adapter().id();
  }

  public long arrivalNanos() {
    return arrivalNanos;
  }

  /** Submission order; lower is older. */
  public long arrivalOrder() {
    return arrivalOrder;
  }

  public int promptLength() {
    return request.promptTokenIds().length;
  }

  /** Prompt plus generated tokens. */
  public int numTokens() {
    return numTokens;
  }

  public int numGenerated() {
    return numTokens - promptLength();
  }

  public int tokenAt(int i) {
    return tokens[i];
  }

  public int[] generatedTokens() {
    return Arrays.copyOfRange(tokens, promptLength(), numTokens);
  }

  /** Prompt and generated tokens so far (for the repetition penalty). */
  int[] tokenArray() {
    return tokens;
  }

  void append(int token) {
    if (numTokens == tokens.length) {
      tokens = Arrays.copyOf(tokens, tokens.length * 2);
    }
    tokens[numTokens++] = token;
  }

  /** Tokens whose K/V are in the cache. */
  public int numComputed() {
    return numComputed;
  }

  void advance(int n) {
    numComputed += n;
  }

  /** Tokens still to run through the model before the next token can be sampled. */
  public int numUncomputed() {
    return numTokens - numComputed;
  }

  public int[] blockTable() {
    return blockTable;
  }

  void addBlocks(int[] blocks) {
    int old = blockTable.length;
    blockTable = Arrays.copyOf(blockTable, old + blocks.length);
    System.arraycopy(blocks, 0, blockTable, old, blocks.length);
  }

  /** Drops the cache state (blocks must already be returned to the pool by the caller). */
  void resetCache() {
    blockTable = new int[0];
    numComputed = 0;
  }

  public Status status() {
    return status;
  }

  void setStatus(Status s) {
    status = s;
  }

  public int numPreemptions() {
    return numPreemptions;
  }

  void countPreemption() {
    numPreemptions++;
  }

  @Override
  public String toString() {
    return "Sequence[" + requestId() + ", " + status + ", tokens " + numTokens + ", computed " + numComputed
        + ", blocks " + blockTable.length + "]";
  }
}
