package io.lorafleet.tools.gpubench;

import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The engine in this process, running on its own thread ({@link Engine#start()}): requests go in with
 * {@link Engine#submit}, and a request's latency runs from just before the submission to the engine's
 * timestamp of its last token. Greedy, end-of-sequence ignored.
 */
final class EngineTarget implements Target {
  private final Engine engine;
  private final List<LoraAdapter> adapters;

  EngineTarget(Engine engine, List<LoraAdapter> adapters) {
    this.engine = engine;
    this.adapters = List.copyOf(adapters);
  }

  @Override
  public Completion generate(String requestId, int adapter, int[] prompt, int newTokens) {
    CompletableFuture<GenerationResult> done = new CompletableFuture<>();
    SamplingParams params = SamplingParams.builder().maxNewTokens(newTokens).ignoreEos(true).build();
    long t0 = System.nanoTime();
    engine.submit(new GenerateRequest(requestId, prompt, adapters.get(adapter), params), new GenerationListener() {
      @Override
      public void onToken(String id, TokenOutput token) {}

      @Override
      public void onFinish(GenerationResult result) {
        done.complete(result);
      }

      @Override
      public void onError(String id, LoraFleetException error) {
        done.completeExceptionally(error);
      }
    });
    GenerationResult r;
    try {
      r = done.join();
    } catch (CompletionException e) {
      throw new IllegalStateException("request " + requestId + " failed: " + e.getCause().getMessage(), e.getCause());
    }
    return new Completion((r.finishNanos() - t0) / 1e6, r.promptTokenIds().length, r.tokenIds().length);
  }
}
