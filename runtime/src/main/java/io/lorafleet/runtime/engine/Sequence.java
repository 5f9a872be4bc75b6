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
  /** Hashes of the sequence's full blocks so far (by content; they survive preemption). */
  private final List<BlockHash> blockHashes = new ArrayList<>();
  /** Leading blocks of the block table already offered to the prefix cache. */
  private int numBlocksOffered;
  /** Prompt tokens taken from the prefix cache at the last admission. */
  private int numCachedTokens;
  /**
   * The class it waits or runs in: its request's class, raised by aging while it waits (kept when it is
   * admitted and when it is preempted, so work that aged is not sent back down).
   */
  private PriorityClass schedulingClass;
  /** When it entered its current class's queue (aging counts from here; {@link System#nanoTime()}). */
  private long classSinceNanos;
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
    this.schedulingClass = request.priority();
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

  /**
   * The prefix cache's key: whose K/V this sequence's blocks hold. "base" for the base model and for an
   * adapter that leaves every layer's K/V as the base computes them ({@link LoraAdapter#keepsBaseKv}); else
   * the adapter id and its content digest, so an adapter registered again with other weights never
   * meets the blocks of the old ones.
   */
  public String cacheKey() {
    LoraAdapter a = request.adapter();
    return a == null || a.keepsBaseKv() ? "base" : "adapter:" + a.id() + "@" + a.contentDigest();
  }

  /** Hash of full block {@code i} (computing the chain up to it on first use). */
  BlockHash blockHash(int i, int blockSize) {
    while (blockHashes.size() <= i) {
      int j = blockHashes.size();
      BlockHash parent = j == 0 ? BlockHash.ROOT : blockHashes.get(j - 1);
      blockHashes.add(BlockHash.of(parent, cacheKey(), tokens, j * blockSize, blockSize));
    }
    return blockHashes.get(i);
  }

  /** Hash of the block before full block {@code i}. */
  BlockHash parentHash(int i, int blockSize) {
    return i == 0 ? BlockHash.ROOT : blockHash(i - 1, blockSize);
  }

  int numBlocksOffered() {
    return numBlocksOffered;
  }

  void setNumBlocksOffered(int n) {
    numBlocksOffered = n;
  }

  /** Prompt tokens whose K/V came from the prefix cache when the sequence was last admitted. */
  public int numCachedTokens() {
    return numCachedTokens;
  }

  void setNumCachedTokens(int n) {
    numCachedTokens = n;
  }

  /** The class its request asked for. */
  public PriorityClass priority() {
    return request.priority();
  }

  /** The class it is scheduled in now: its request's class, or more urgent after aging. */
  public PriorityClass schedulingClass() {
    return schedulingClass;
  }

  void setSchedulingClass(PriorityClass c, long sinceNanos) {
    schedulingClass = c;
    classSinceNanos = sinceNanos;
  }

  long classSinceNanos() {
    return classSinceNanos;
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
    numBlocksOffered = 0;
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
