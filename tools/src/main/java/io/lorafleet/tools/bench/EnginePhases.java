package io.lorafleet.tools.bench;

import io.lorafleet.tools.report.HostInfo;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.EngineStats;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Runs measured workloads on an idle {@link Engine}, stepping it on the calling thread and recording
 * every step and every generated token. Prompts are random token ids after BOS; sampling is greedy with
 * end-of-sequence ignored, so every request generates exactly the tokens asked for. Also used by the GPU
 * benchmark ({@code lorafleet gpu-bench}) for its decode-step figures.
 */
public final class EnginePhases {
  private final Engine engine;
  private final int vocabSize;
  private final int bosId;
  private final SplittableRandom rng = new SplittableRandom(42);

  public EnginePhases(Engine engine, int bosId) {
    this.engine = engine;
    this.vocabSize = engine.backend().config().vocabSize();
    this.bosId = bosId;
  }

  /**
   * {@code batch} requests submitted together, request {@code i} with adapter {@code i % adapters.size()}
   * (none when the list is empty); each prefills {@code promptTokens} and then decodes {@code decodeSteps}
   * tokens. Throughput counts only the steps after the last one that ran prompt tokens.
   */
  public PhaseResult decode(String name, int batch, List<LoraAdapter> adapters, int promptTokens, int decodeSteps) {
    return decode(name, batch, adapters, promptTokens, decodeSteps, step -> {});
  }

  /** As {@link #decode(String, int, List, int, int)}, telling {@code afterStep} about each step as it ends. */
  public PhaseResult decode(String name, int batch, List<LoraAdapter> adapters, int promptTokens, int decodeSteps,
      Consumer<PhaseResult.Step> afterStep) {
    return decode(name, batch, adapters, promptTokens, decodeSteps, null, afterStep);
  }

  /**
   * As {@link #decode(String, int, List, int, int)}, with every other request (0, 2, 4, ...) constrained to
   * {@code constraint} (null: none), which must allow at least {@code decodeSteps + 1} tokens.
   */
  public PhaseResult decode(String name, int batch, List<LoraAdapter> adapters, int promptTokens, int decodeSteps,
      OutputConstraint constraint, Consumer<PhaseResult.Step> afterStep) {
    Recorder rec = new Recorder();
    for (int i = 0; i < batch; i++) {
      LoraAdapter a = adapters.isEmpty() ? null : adapters.get(i % adapters.size());
      SamplingParams p = params(decodeSteps + 1);
      if (constraint != null && i % 2 == 0) {
        p = SamplingParams.builder().maxNewTokens(decodeSteps + 1).ignoreEos(true).constraint(constraint).build();
      }
      engine.submit(new GenerateRequest(name + "-" + i, prompt(promptTokens), a, p), rec);
    }
    long t0 = System.nanoTime();
    List<Timed> steps = drive(rec, batch, t0, afterStep);
    int lastPrefill = -1;
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).step().promptTokens() > 0) {
        lastPrefill = i;
      }
    }
    long start = lastPrefill >= 0 ? steps.get(lastPrefill).endNanos() : t0;
    long end = steps.getLast().endNanos();
    long tokens = 0;
    for (int i = lastPrefill + 1; i < steps.size(); i++) {
      tokens += steps.get(i).step().emitted();
    }
    int distinct = (int) adapters.stream().limit(batch).distinct().count();
    return new PhaseResult(name, batch, distinct, promptTokens, tokens, (end - start) / 1e9,
        (rec.firstTokenNanos - t0) / 1e9, steps.stream().map(Timed::step).toList());
  }

  /** One request with a {@code promptTokens}-token prompt and one generated token: time to first token. */
  public PhaseResult prefill(String name, int promptTokens) {
    Recorder rec = new Recorder();
    int[] prompt = prompt(promptTokens);
    long t0 = System.nanoTime();
    engine.submit(new GenerateRequest(name, prompt, null, params(1)), rec);
    List<Timed> steps = drive(rec, 1, t0, step -> {});
    return new PhaseResult(name, 1, 0, promptTokens, 0, 0, (rec.firstTokenNanos - t0) / 1e9,
        steps.stream().map(Timed::step).toList());
  }

  private static SamplingParams params(int maxNewTokens) {
    return SamplingParams.builder().maxNewTokens(maxNewTokens).ignoreEos(true).build();
  }

  private int[] prompt(int length) {
    int[] p = new int[length];
    p[0] = bosId;
    for (int i = 1; i < length; i++) {
      p[i] = rng.nextInt(3, vocabSize);
    }
    return p;
  }

  private record Timed(long endNanos, PhaseResult.Step step) {}

  /** Steps the engine until it is idle, recording each step that ran; {@code t0} is the submission time. */
  private List<Timed> drive(Recorder rec, int requests, long t0, Consumer<PhaseResult.Step> afterStep) {
    List<Timed> steps = new ArrayList<>();
    EngineStats before = engine.stats();
    long lastEnd = t0;
    boolean more = true;
    while (more) {
      int emittedBefore = rec.emitted;
      long cpu0 = HostInfo.processCpuNanos();
      more = engine.step();
      long now = System.nanoTime();
      long cpu = HostInfo.processCpuNanos() - cpu0;
      EngineStats after = engine.stats();
      if (after.steps() != before.steps()) {
        PhaseResult.Step step = new PhaseResult.Step((now - lastEnd) / 1e6, after.lastStepNanos() / 1e6,
            after.lastStepTokens(), after.promptTokens() - before.promptTokens(), rec.emitted - emittedBefore,
            after.lastSampleNanos() / 1e6, cpu / 1e6);
        steps.add(new Timed(now, step));
        afterStep.accept(step);
        lastEnd = now;
      }
      before = after;
    }
    if (rec.error != null) {
      throw new IllegalStateException("benchmark request failed: " + rec.error.getMessage(), rec.error);
    }
    if (rec.finished != requests || steps.isEmpty()) {
      throw new IllegalStateException("the engine went idle with " + (requests - rec.finished)
          + " of " + requests + " requests unfinished");
    }
    return steps;
  }

  /** Counts tokens and completions; called on the stepping thread. */
  private static final class Recorder implements GenerationListener {
    int emitted;
    int finished;
    long firstTokenNanos;
    LoraFleetException error;

    @Override
    public void onToken(String requestId, TokenOutput token) {
      if (emitted++ == 0) {
        firstTokenNanos = System.nanoTime();
      }
    }

    @Override
    public void onFinish(GenerationResult result) {
      finished++;
    }

    @Override
    public void onError(String requestId, LoraFleetException e) {
      if (error == null) {
        error = e;
      }
      finished++;
    }
  }
}
