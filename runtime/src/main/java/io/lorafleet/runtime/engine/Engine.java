package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.constrain.ByteDfa;
import io.lorafleet.runtime.constrain.ConstraintCompiler;
import io.lorafleet.runtime.constrain.ConstraintException;
import io.lorafleet.runtime.constrain.ConstraintState;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.constrain.TokenIndex;
import io.lorafleet.runtime.constrain.TokenIndexCache;
import io.lorafleet.runtime.constrain.TokenMask;
import io.lorafleet.runtime.constrain.TokenVocabulary;
import io.lorafleet.runtime.errors.EngineFailureException;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import io.lorafleet.runtime.tokenizer.TokenizerException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.ObjLongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The step loop: take new requests, let the {@link Scheduler} pick the step, let the {@link ModelRunner}
 * run it, sample, emit tokens, retire finished sequences, repeat. Requests can join and leave between any
 * two steps (continuous batching).
 *
 * <p>Which adapters are on the device is decided by the engine's {@link AdapterResidency} alone: an
 * adapter is uploaded when its request is submitted (if there is room) or when a step needs it, and stays
 * until the room is needed or it is asked to go ({@link #evictAdapter}); every change is published to the
 * {@link #subscribe subscribers} as an {@link AdapterResidencyEvent}.
 *
 * <p>Threading: {@link #submit}, {@link #cancel}, {@link #prefetchAdapter} and {@link #evictAdapter} may be
 * called from any thread; they queue a command. Everything else happens on the engine thread: the caller
 * of {@link #step} / {@link #runUntilIdle}, or the thread {@link #start} creates.
 *
 * <p>Constrained requests ({@link SamplingParams#constraint()}): {@link #submit} compiles the constraint (on
 * the caller's thread, through the shared {@link ConstraintCompiler} cache) and looks up its {@link TokenIndex}
 * for this engine's vocabulary; each step, the masks the constrained rows will need are computed on a helper
 * thread while the forward pass runs, and the {@link Sampler} applies them on the host. See the {@code
 * io.lorafleet.runtime.constrain} package documentation.
 */
public final class Engine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  /** Heap the token masks of constrained requests may hold (least recently used schemas go first). */
  static final long CONSTRAINT_INDEX_BYTES = 256L << 20;

  private final Backend backend;
  private final HfTokenizer tokenizer;
  private final Set<Integer> eosTokenIds;
  private final EngineConfig config;
  private final LlamaConfig model;
  private final int maxModelLen;
  private final Scheduler scheduler;
  private final AdapterResidency residency;
  private final List<Consumer<AdapterResidencyEvent>> residencySubscribers = new CopyOnWriteArrayList<>();
  private final ModelRunner runner;
  private final Sampler sampler = new Sampler();
  private final TokenIndexCache constraintIndices;
  private ExecutorService maskWorker;

  private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
  private final Map<String, Sequence> active = new HashMap<>();
  private final Set<String> acceptedIds = ConcurrentHashMap.newKeySet();
  private final AtomicInteger queued = new AtomicInteger();
  /** {@link #queued} by the class the requests asked for (each class's queue is bounded by maxWaiting). */
  private final AtomicIntegerArray queuedByClass = new AtomicIntegerArray(PriorityClass.values().length);
  private final List<ObjLongConsumer<PriorityClass>> queueTimeObservers = new CopyOnWriteArrayList<>();
  private long arrivals;

  private volatile EngineStats stats;
  private long steps;
  private long promptTokens;
  private long generatedTokens;
  private long preemptions;

  private volatile boolean closed;
  private Thread loopThread;

  public Engine(Backend backend, HfTokenizer tokenizer, Set<Integer> eosTokenIds, EngineConfig config) {
    this.backend = backend;
    this.tokenizer = tokenizer;
    this.eosTokenIds = Set.copyOf(eosTokenIds);
    this.config = config;
    this.model = backend.config();
    this.maxModelLen = config.maxModelLen() > 0 ? config.maxModelLen() : model.maxPositionEmbeddings();
    int blocksPerSeq = (maxModelLen + config.blockSize() - 1) / config.blockSize();
    int numBlocks = config.numKvBlocks();
    if (numBlocks == 0) {
      long fit = config.kvCacheBytes() / backend.kvBytesPerBlock(config.blockSize());
      numBlocks = (int) Math.max(1, Math.min(fit, (long) config.maxNumSeqs() * blocksPerSeq));
    }
    backend.reserveStepMemory(config.maxBatchTokens(), config.maxNumSeqs());
    backend.allocateKvCache(numBlocks, config.blockSize());
    this.residency = new AdapterResidency(backend, config.maxResidentAdapters(), this::publish);
    this.scheduler = new Scheduler(
        new SchedulerConfig(config.maxNumSeqs(), config.maxBatchTokens(), maxLorasPerStep(config, residency.capacity()),
            config.prefixCaching(), config.priorityAgingNanos(), config.preemptLowerClasses()),
        new KvBlockPool(numBlocks, config.blockSize()));
    this.runner = new ModelRunner(backend, residency);
    int logitsWidth = model.vocabSize();
    this.constraintIndices = new TokenIndexCache(() -> TokenVocabulary.of(tokenizer.tokenBytes(), logitsWidth),
        CONSTRAINT_INDEX_BYTES);
    publishStats(0, 0);
    log.info("engine on {}: {} KV blocks x {} tokens ({} MB), max {} sequences, {} tokens per step, context {}, "
        + "prefix caching {}, priority aging {} ms, lower classes preempted: {}", backend.name(), numBlocks,
        config.blockSize(), numBlocks * backend.kvBytesPerBlock(config.blockSize()) >> 20, config.maxNumSeqs(),
        config.maxBatchTokens(), maxModelLen, config.prefixCaching() ? "on" : "off",
        config.priorityAgingNanos() / 1_000_000, config.preemptLowerClasses() ? "yes" : "no");
  }

  /** Distinct adapters one step may use: all of them must be on the device together. */
  private static int maxLorasPerStep(EngineConfig c, int onDevice) {
    if (c.maxLorasPerBatch() == 0) {
      return onDevice == Integer.MAX_VALUE ? 0 : onDevice;
    }
    return Math.min(c.maxLorasPerBatch(), onDevice);
  }

  public Backend backend() {
    return backend;
  }

  public HfTokenizer tokenizer() {
    return tokenizer;
  }

  public EngineConfig config() {
    return config;
  }

  /** Longest prompt + output this engine accepts. */
  public int maxModelLen() {
    return maxModelLen;
  }

  public Set<Integer> eosTokenIds() {
    return eosTokenIds;
  }

  public EngineStats stats() {
    return stats;
  }

  // ------------------------------------------------------------------ commands (any thread)

  /**
   * Queues a request. Throws at once, without side effects, when the request is invalid ({@link
   * InvalidRequestException}: the prompt, its length against the context and the KV cache, the adapter; its
   * {@link SamplingParams} were checked when they were made) or the queue is full ({@link
   * OverloadedException}); otherwise the listener hears about it exactly once more at the end. This is the
   * one validation of a request.
   */
  public void submit(GenerateRequest request, GenerationListener listener) {
    validate(request);
    TokenIndex index = constraintIndex(request.params().constraint());
    int cls = request.priority().ordinal();
    if (queuedByClass.incrementAndGet(cls) > config.maxWaiting()) {
      queuedByClass.decrementAndGet(cls);
      throw new OverloadedException("engine queue is full (" + config.maxWaiting() + " waiting "
          + request.priority().wireName() + " requests)");
    }
    if (!acceptedIds.add(request.requestId())) {
      queuedByClass.decrementAndGet(cls);
      throw new InvalidRequestException("request id " + request.requestId() + " is already in flight");
    }
    queued.incrementAndGet();
    inbox.add(() -> {
      Sequence s = new Sequence(request, listener, arrivals++);
      if (index != null) {
        s.constraint = new ConstraintState(index);
      }
      active.put(request.requestId(), s);
      scheduler.add(s);
      if (s.adapter() != null) {
        residency.prefetch(s.adapter()); // the upload overlaps the steps before its first
      }
    });
  }

  /** The token index of a constraint over this engine's vocabulary (null for none). */
  private TokenIndex constraintIndex(OutputConstraint constraint) {
    if (constraint == null) {
      return null;
    }
    ByteDfa dfa = ConstraintCompiler.shared().compile(constraint);
    try {
      return constraintIndices.index(constraint, dfa);
    } catch (TokenizerException e) {
      throw new ConstraintException(e.getMessage());
    }
  }

  /** The cache of this engine's token indices (for tests and metrics). */
  public TokenIndexCache constraintIndices() {
    return constraintIndices;
  }

  /** Cancels a request if it is still queued or running; its listener gets {@link FinishReason#CANCELLED}. */
  public void cancel(String requestId) {
    inbox.add(() -> {
      Sequence s = active.get(requestId);
      if (s != null && scheduler.abort(s)) {
        releaseAdapter(s);
        if (s.samplerState == null) {
          leftQueue(s); // it never left the queue
        }
        complete(s, FinishReason.CANCELLED);
      }
    });
  }

  /**
   * Uploads {@code adapter} to the device ahead of the requests that will use it (a pinned adapter, a
   * benchmark's warm-up), if that takes no adapter in use off the device. The future says whether it is on
   * the device now. Submitting a request does the same for its adapter.
   */
  public CompletableFuture<Boolean> prefetchAdapter(LoraAdapter adapter) {
    CompletableFuture<Boolean> f = new CompletableFuture<>();
    inbox.add(() -> f.complete(residency.prefetch(adapter)));
    return f;
  }

  /**
   * Takes {@code adapter} off the device as soon as no running sequence uses it (its weights are leaving
   * the node); the future completes once it is off (at once when it was not on the device).
   */
  public CompletableFuture<Void> evictAdapter(LoraAdapter adapter) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    inbox.add(() -> residency.evict(adapter, () -> f.complete(null)));
    return f;
  }

  /**
   * Hears every change of the adapters on the device from now on, on the engine thread, in order; the
   * consumer must return quickly (tell an actor). Returns what stops it.
   */
  public Runnable subscribe(Consumer<AdapterResidencyEvent> subscriber) {
    residencySubscribers.add(subscriber);
    return () -> residencySubscribers.remove(subscriber);
  }

  private void publish(AdapterResidencyEvent event) {
    for (Consumer<AdapterResidencyEvent> s : residencySubscribers) {
      try {
        s.accept(event);
      } catch (RuntimeException e) {
        log.warn("adapter residency subscriber failed on {}", event, e);
      }
    }
  }

  /**
   * Checks that a prompt of {@code promptTokens} plus {@code maxNewTokens} fits this engine's context and KV
   * cache; throws {@link InvalidRequestException} otherwise. Pure arithmetic, no allocation: callers (the HTTP
   * layer) run it before anything is sized from {@code maxNewTokens}.
   */
  public void checkFits(int promptTokens, long maxNewTokens) {
    if (promptTokens >= maxModelLen) {
      throw new InvalidRequestException("the prompt is " + promptTokens + " tokens; this model's context is "
          + maxModelLen + " tokens");
    }
    long total = (long) promptTokens + maxNewTokens;
    if (total > maxModelLen) {
      throw new InvalidRequestException("this model's maximum context length is " + maxModelLen + " tokens, but "
          + total + " were requested (" + promptTokens + " in the prompt, " + maxNewTokens
          + " new tokens); lower max_new_tokens or shorten the prompt");
    }
    KvBlockPool pool = scheduler.pool();
    if (pool.blocksFor((int) total) > pool.numBlocks()) {
      throw new InvalidRequestException("the request needs " + total + " tokens of KV cache but the cache holds "
          + (long) pool.numBlocks() * pool.blockSize());
    }
  }

  /** Token ids this engine's model accepts: {@code [0, vocabSize)}. */
  public int vocabSize() {
    return model.vocabSize();
  }

  private void validate(GenerateRequest r) {
    if (r.requestId() == null || r.requestId().isEmpty()) {
      throw new InvalidRequestException("request id must not be empty");
    }
    int[] prompt = r.promptTokenIds();
    if (prompt == null || prompt.length == 0) {
      throw new InvalidRequestException("the prompt is empty");
    }
    for (int t : prompt) {
      if (t < 0 || t >= model.vocabSize()) {
        throw new InvalidRequestException("prompt token id " + t + " is outside the vocabulary [0, " + model.vocabSize() + ")");
      }
    }
    checkFits(prompt.length, r.params().maxNewTokens());
    if (r.adapter() != null && r.adapter().numLayers() != model.numLayers()) {
      throw new InvalidRequestException("adapter " + r.adapter().id() + " was loaded for a model with "
          + r.adapter().numLayers() + " layers");
    }
  }

  // ------------------------------------------------------------------ the loop (engine thread)

  private void leftQueue(Sequence s) {
    queued.decrementAndGet();
    queuedByClass.decrementAndGet(s.priority().ordinal());
  }

  /**
   * Hears, on the engine thread, each request's class and time in the queue (nanoseconds from its arrival in
   * the engine to its first step) when it is admitted; the consumer must return quickly (a histogram). Returns
   * what stops it.
   */
  public Runnable observeQueueTime(ObjLongConsumer<PriorityClass> observer) {
    queueTimeObservers.add(observer);
    return () -> queueTimeObservers.remove(observer);
  }

  /** Runs one step; returns whether there is more work (queued or running). */
  public boolean step() {
    if (drainInbox() && !scheduler.hasWork()) {
      publishStats(0, 0);
    }
    if (!scheduler.hasWork()) {
      return false;
    }
    long t0 = System.nanoTime();
    SchedulerOutput out = scheduler.schedule();
    for (Sequence p : out.preempted()) {
      preemptions++;
      log.debug("preempted {} (KV cache full)", p.requestId());
    }
    if (out.isEmpty()) {
      return scheduler.hasWork();
    }
    for (ScheduledSequence sc : out.scheduled()) {
      Sequence s = sc.sequence();
      if (s.samplerState == null) {
        // First time this sequence runs: it leaves the queue.
        leftQueue(s);
        long waited = t0 - s.arrivalNanos();
        for (ObjLongConsumer<PriorityClass> o : queueTimeObservers) {
          o.accept(s.priority(), waited);
        }
        Long seed = s.request().params().seed();
        s.samplerState = new SamplerState(seed != null ? seed : ThreadLocalRandom.current().nextLong());
        s.stopChecker = new StopChecker(tokenizer.newDecoder(s.request().params().skipSpecialTokens()),
            s.request().params().stop());
      }
    }
    prefetchMasks(out);
    ModelRunner.StepLogits logits;
    try {
      acquireAdapters(out);
      logits = runner.run(out.scheduled());
    } catch (RuntimeException e) {
      failStep(out, e);
      return scheduler.hasWork();
    }
    List<Sequence> finished = new ArrayList<>();
    long sample0 = System.nanoTime();
    int tokens = 0;
    for (int i = 0; i < out.scheduled().size(); i++) {
      ScheduledSequence sc = out.scheduled().get(i);
      Sequence s = sc.sequence();
      int start = s.numComputed();
      s.advance(sc.numTokens());
      scheduler.cacheComputedBlocks(s);
      tokens += sc.numTokens();
      if (start < s.promptLength()) {
        promptTokens += Math.min(sc.numTokens(), s.promptLength() - start);
      }
      if (logits.firstRow()[i] >= 0) {
        recordPromptLogprobs(s, logits, logits.firstRow()[i], start, sc.numTokens());
      }
      int row = logits.sampleRow()[i];
      Sampler.Choice device = logits.deviceChoice(i);
      if (row >= 0 || device != null) {
        FinishReason done = onSampled(s, logits, row, device);
        if (done != null) {
          finished.add(s);
          scheduler.finish(s);
          releaseAdapter(s);
          complete(s, done);
        }
      }
    }
    steps++;
    long end = System.nanoTime();
    publishStats(tokens, end - t0, end - sample0);
    return scheduler.hasWork() || !inbox.isEmpty();
  }

  /** Steps until no request is queued or running. */
  public void runUntilIdle() {
    while (step()) {
      // keep going
    }
  }

  /** Runs the loop on a thread of its own until {@link #close}. */
  public synchronized void start() {
    if (loopThread != null) {
      return;
    }
    loopThread = Thread.ofPlatform().name("lorafleet-engine").daemon(true).start(this::loop);
  }

  private void loop() {
    while (!closed) {
      try {
        if (!step()) {
          Runnable cmd = inbox.poll(100, TimeUnit.MILLISECONDS);
          if (cmd != null) {
            cmd.run();
            publishStats(0, 0);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.error("engine loop error", e);
      }
    }
  }

  /** Runs queued commands; returns whether there were any. */
  private boolean drainInbox() {
    boolean any = false;
    Runnable cmd;
    while ((cmd = inbox.poll()) != null) {
      cmd.run();
      any = true;
    }
    return any;
  }

  /**
   * Preempted sequences let go of their adapters; sequences that run from this step on take theirs, which
   * puts every adapter of the step on the device.
   */
  private void acquireAdapters(SchedulerOutput out) {
    for (Sequence p : out.preempted()) {
      releaseAdapter(p);
    }
    for (ScheduledSequence sc : out.scheduled()) {
      Sequence s = sc.sequence();
      if (!s.holdsAdapter) {
        residency.acquire(s.adapter());
        s.holdsAdapter = true;
      }
    }
  }

  private void releaseAdapter(Sequence s) {
    if (s.holdsAdapter) {
      residency.release(s.adapter());
      s.holdsAdapter = false;
    }
  }

  /**
   * Starts computing, on the mask worker, the token masks that constrained sequences of this step will need
   * and that no earlier sequence computed yet, so that the walk overlaps the forward pass instead of
   * delaying every row's sampling. The engine thread picks each mask up (waiting if it is still running)
   * when it samples.
   */
  private void prefetchMasks(SchedulerOutput out) {
    for (ScheduledSequence sc : out.scheduled()) {
      ConstraintState c = sc.sequence().constraint;
      if (c != null && !c.maskReady()) {
        if (maskWorker == null) {
          maskWorker = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("lorafleet-constraint-masks")
              .daemon(true).unstarted(r));
        }
        maskWorker.execute(c.maskTask());
      }
    }
  }

  /**
   * The ids a constrained sequence may sample now: its state's mask, plus end-of-sequence (unless ignored)
   * and the stop token ids when the output so far is a whole match. Null when nothing is allowed.
   */
  private long[] allowedTokens(Sequence s, int vocab) {
    ConstraintState c = s.constraint;
    SamplingParams p = s.request().params();
    TokenMask mask = c.mask();
    long[] bits = mask.copyBits();
    // End-of-sequence and stop tokens end the request, whatever their text: only where the output is whole.
    if (!p.ignoreEos()) {
      for (int id : eosTokenIds) {
        disallow(bits, id);
      }
    }
    for (int id : p.stopTokenIds()) {
      disallow(bits, id);
    }
    boolean any = false;
    for (long w : bits) {
      any |= w != 0;
    }
    if (c.isAccepting()) {
      if (!p.ignoreEos()) {
        for (int id : eosTokenIds) {
          any |= allow(bits, id, vocab);
        }
      }
      for (int id : p.stopTokenIds()) {
        any |= allow(bits, id, vocab);
      }
    }
    return any ? bits : null;
  }

  private static void disallow(long[] bits, int id) {
    if (id >= 0 && (id >>> 6) < bits.length) {
      bits[id >>> 6] &= ~(1L << id);
    }
  }

  private static boolean allow(long[] bits, int id, int vocab) {
    if (id < 0 || id >= vocab || (id >>> 6) >= bits.length) {
      return false;
    }
    bits[id >>> 6] |= 1L << id;
    return true;
  }

  /**
   * A sampled token: chosen on the device ({@code device}; constrained rows never are, see {@link ModelRunner}),
   * or here from logits row {@code row}, under the sequence's constraint mask when it has one.
   */
  private FinishReason onSampled(Sequence s, ModelRunner.StepLogits logits, int row, Sampler.Choice device) {
    SamplingParams p = s.request().params();
    Sampler.Choice choice = device;
    if (choice == null) {
      int vocab = logits.logits().vocab();
      long[] allowed = null;
      if (s.constraint != null) {
        allowed = allowedTokens(s, vocab);
        if (allowed == null) {
          return failSequence(s, new ConstraintException("no token of this model's vocabulary can continue the "
              + "output allowed by the " + p.constraint().describe() + (p.ignoreEos() ? " (and ignore_eos is set)" : "")));
        }
      }
      choice = sampler.sample(logits.logits().values(), row * vocab, vocab, p, s.tokenArray(), s.numTokens(),
          s.samplerState.random, allowed);
    }
    int token = choice.tokenId();
    s.append(token);
    generatedTokens++;
    if (s.firstTokenNanos == 0) {
      s.firstTokenNanos = System.nanoTime();
    }
    s.logprobs.add(choice.logprob());
    s.topLogprobs.add(choice.top());
    boolean eos = !p.ignoreEos() && eosTokenIds.contains(token);
    boolean stopToken = p.stopTokenIds().contains(token);
    String text = eos || stopToken ? "" : s.stopChecker.add(token);
    // A constrained output that is a whole match nothing can extend ends here, as at end-of-sequence.
    boolean complete = false;
    if (s.constraint != null && !eos && !stopToken) {
      s.constraint.advance(token);
      complete = s.constraint.isComplete();
    }
    FinishReason done = null;
    if (eos) {
      done = FinishReason.EOS;
    } else if (stopToken || s.stopChecker.stopped()) {
      done = FinishReason.STOP;
    } else if (complete) {
      done = FinishReason.EOS;
    } else if (s.numGenerated() >= p.maxNewTokens() || s.numTokens() >= maxModelLen) {
      done = FinishReason.LENGTH;
    }
    if (done != null) {
      text += s.stopChecker.finish();
    }
    s.listener().onToken(s.requestId(),
        new TokenOutput(s.numGenerated() - 1, token, text, choice.logprob(), choice.top(), tokenizer.isSpecial(token),
            done));
    return done;
  }

  private void recordPromptLogprobs(Sequence s, ModelRunner.StepLogits logits, int firstRow, int start, int n) {
    if (s.promptLogprobs == null) {
      s.promptLogprobs = new float[s.promptLength()];
      s.promptLogprobs[0] = Float.NaN;
    }
    int vocab = logits.logits().vocab();
    for (int j = 0; j < n; j++) {
      int next = start + j + 1;
      if (next < s.promptLength()) {
        s.promptLogprobs[next] = Sampler.logprob(logits.logits().values(), (firstRow + j) * vocab, vocab,
            s.tokenAt(next));
      }
    }
  }

  private void complete(Sequence s, FinishReason reason) {
    active.remove(s.requestId());
    acceptedIds.remove(s.requestId());
    String text = s.stopChecker == null ? "" : s.stopChecker.emittedText();
    float[] lps = new float[s.logprobs.size()];
    for (int i = 0; i < lps.length; i++) {
      lps[i] = s.logprobs.get(i);
    }
    long now = System.nanoTime();
    GenerationResult result = new GenerationResult(s.requestId(), s.request().adapterId(),
        s.request().promptTokenIds(), s.generatedTokens(), text, lps, List.copyOf(s.topLogprobs), s.promptLogprobs,
        reason, s.samplerState == null ? 0 : s.samplerState.seed, s.arrivalNanos(),
        s.firstTokenNanos == 0 ? now : s.firstTokenNanos, now);
    try {
      s.listener().onFinish(result);
    } catch (RuntimeException e) {
      log.warn("listener of {} failed on finish", s.requestId(), e);
    }
  }

  /**
   * Ends one sequence with an error in the middle of a step (its listener hears {@code error}); returns null
   * so that the step treats it as not finished (it is already gone from the scheduler).
   */
  private FinishReason failSequence(Sequence s, LoraFleetException error) {
    scheduler.abort(s);
    releaseAdapter(s);
    active.remove(s.requestId());
    acceptedIds.remove(s.requestId());
    try {
      s.listener().onError(s.requestId(), error);
    } catch (RuntimeException le) {
      log.warn("listener of {} failed on error", s.requestId(), le);
    }
    return null;
  }

  private void failStep(SchedulerOutput out, RuntimeException e) {
    log.error("forward pass failed; failing the {} sequences of this step", out.scheduled().size(), e);
    EngineFailureException err = new EngineFailureException("the engine failed while running this request: " + e, e);
    for (ScheduledSequence sc : out.scheduled()) {
      Sequence s = sc.sequence();
      scheduler.abort(s);
      releaseAdapter(s);
      active.remove(s.requestId());
      acceptedIds.remove(s.requestId());
      try {
        s.listener().onError(s.requestId(), err);
      } catch (RuntimeException le) {
        log.warn("listener of {} failed on error", s.requestId(), le);
      }
    }
  }

  private void publishStats(int lastTokens, long lastNanos) {
    publishStats(lastTokens, lastNanos, 0);
  }

  private void publishStats(int lastTokens, long lastNanos, long lastSampleNanos) {
    KvBlockPool pool = scheduler.pool();
    PrefixCacheStats prefix = scheduler.prefixStats();
    PriorityClass[] classes = PriorityClass.values();
    int[] waitingByClass = new int[classes.length];
    int[] runningByClass = new int[classes.length];
    long[] admitted = new long[classes.length];
    long[] preemptedByClass = new long[classes.length];
    long[] promoted = new long[classes.length];
    for (PriorityClass c : classes) {
      int i = c.ordinal();
      waitingByClass[i] = queuedByClass.get(i);
      runningByClass[i] = scheduler.numRunning(c);
      admitted[i] = scheduler.admitted(c);
      preemptedByClass[i] = scheduler.preemptions(c);
      promoted[i] = scheduler.promotions(c);
    }
    stats = new EngineStats(queued.get(), scheduler.numRunning(), pool.numUsed(), pool.numBlocks(),
        residency.size(), steps, promptTokens, generatedTokens, preemptions, lastTokens, lastNanos,
        lastSampleNanos, pool.numCached(), pool.numEvictable(), pool.evictions(), prefix.baseQueried(), prefix.baseHit(),
        prefix.adapterQueried(), prefix.adapterHit(),
        new PriorityStats(waitingByClass, runningByClass, admitted, preemptedByClass, promoted));
  }

  /**
   * Returns only once the loop thread has ended, so that whoever closes the backend next cannot free memory
   * a step still uses (a step is never abandoned half-way; a slow one is waited for, and said so).
   */
  private static void awaitLoopEnd(Thread t) {
    boolean interrupted = false;
    long t0 = System.nanoTime();
    while (t.isAlive()) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        interrupted = true;
      }
      if (t.isAlive()) {
        log.warn("waiting for the engine thread to finish its step ({} s so far)",
            (System.nanoTime() - t0) / 1_000_000_000);
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread t = loopThread;
    if (t != null) {
      t.interrupt();
      awaitLoopEnd(t);
    }
    if (maskWorker != null) {
      maskWorker.shutdownNow();
    }
    // Whatever is still queued or running ends with an explicit error, never silently.
    drainInbox();
    for (Sequence s : new ArrayList<>(active.values())) {
      scheduler.abort(s);
      active.remove(s.requestId());
      acceptedIds.remove(s.requestId());
      s.listener().onError(s.requestId(), new OverloadedException("the engine is shutting down"));
    }
  }
}
