package io.lorafleet.actors.http;

import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.model.LoraAdapter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * Runs one generation for the HTTP layer: leases the adapter from the node's store (waiting for one load),
 * submits to the batch builder, and hands back the token stream. A stream cancelled before its end (the
 * client went away) cancels the request in the engine. Latency metrics are taken here, off the engine
 * thread.
 */
final class GenerationGateway {
  private static final Duration SUBMIT_TIMEOUT = Duration.ofSeconds(10);
  private static final AtomicLong SEQ = new AtomicLong();

  private final NodeHandles node;

  GenerationGateway(NodeHandles node) {
    this.node = node;
  }

  /** The adapter a request names: null id for the base model; {@code autoSource} registers on first use. */
  record AdapterChoice(String id, String autoSource) {
    static final AdapterChoice BASE = new AdapterChoice(null, null);
  }

  /** An admitted request and its events (tokens, then finished or failed). */
  record Generation(String requestId, int[] prompt, SamplingParams params, String adapterId,
      Source<GenerationEvent, NotUsed> events) {

    /** All events, once the request ended. */
    CompletionStage<List<GenerationEvent>> collect(org.apache.pekko.actor.typed.ActorSystem<?> system) {
      return events.runWith(Sink.seq(), system);
    }
  }

  static String newRequestId() {
    return Long.toString(SEQ.incrementAndGet(), 36) + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  CompletionStage<Generation> start(AdapterChoice adapter, int[] prompt, SamplingParams params) {
    long arrival = System.nanoTime();
    params.validate();
    CompletionStage<LoraAdapter> lease = adapter.id() == null ? CompletableFuture.completedFuture(null)
        : AskPattern.<AdapterStore.Command, AdapterStore.AcquireResult>ask(node.store(),
                replyTo -> new AdapterStore.Acquire(adapter.id(), adapter.autoSource(), replyTo),
                node.adapterWaitTimeout(), node.system().scheduler())
            .thenApply(r -> switch (r) {
              case AdapterStore.Leased l -> l.adapter();
              case AdapterStore.Refused f -> throw new CompletionException(f.error());
            });
    return lease.thenCompose(a -> submit(new GenerateRequest(newRequestId(), prompt, a, params), arrival));
  }

  private CompletionStage<Generation> submit(GenerateRequest request, long arrival) {
    int buffer = request.params().maxNewTokens() + 8;
    Pair<ActorRef<GenerationEvent>, Source<GenerationEvent, NotUsed>> source =
        ActorSource.<GenerationEvent>actorRef(e -> e == GenerationEvent.End.INSTANCE, e -> Optional.empty(), buffer,
            OverflowStrategy.fail()).preMaterialize(node.system());
    CompletionStage<BatchBuilder.SubmitResult> submitted = AskPattern.ask(node.batchBuilder(),
        replyTo -> new BatchBuilder.Submit(request, source.first(), replyTo), SUBMIT_TIMEOUT, node.system().scheduler());
    return submitted.thenApply(r -> switch (r) {
      case BatchBuilder.Accepted a -> new Generation(request.requestId(), request.promptTokenIds(), request.params(),
          request.adapterId(), observed(request.requestId(), source.second(), arrival));
      case BatchBuilder.Rejected rej -> {
        source.first().tell(GenerationEvent.End.INSTANCE);
        throw new CompletionException(rej.error());
      }
    });
  }

  private Source<GenerationEvent, NotUsed> observed(String requestId, Source<GenerationEvent, NotUsed> events,
      long arrival) {
    AtomicBoolean ended = new AtomicBoolean();
    long[] last = {0};
    return events.map(e -> {
      switch (e) {
        case GenerationEvent.Token t -> {
          if (last[0] == 0) {
            node.metrics().timeToFirstToken((t.nanos() - arrival) / 1e9);
          } else {
            node.metrics().interTokenLatency((t.nanos() - last[0]) / 1e9);
          }
          last[0] = t.nanos();
        }
        case GenerationEvent.Finished f -> {
          ended.set(true);
          node.metrics().endToEnd((System.nanoTime() - arrival) / 1e9);
          node.metrics().finished(f.result().finishReason().wireName());
        }
        case GenerationEvent.Failed f -> {
          ended.set(true);
          node.metrics().finished("error");
        }
        default -> { }
      }
      return e;
    }).watchTermination((notUsed, done) -> {
      done.whenComplete((d, err) -> {
        if (!ended.get()) {
          node.batchBuilder().tell(new BatchBuilder.Cancel(requestId));
          node.metrics().finished("cancelled");
        }
      });
      return notUsed;
    });
  }

  /** The error of a failed generation, rethrown for the error mapping. */
  static LoraFleetException failure(List<GenerationEvent> events) {
    for (GenerationEvent e : events) {
      if (e instanceof GenerationEvent.Failed f) {
        return f.error();
      }
    }
    return null;
  }
}
