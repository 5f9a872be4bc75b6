package io.lorafleet.actors.http;

import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.TokenOutput;
import java.util.ArrayList;
import java.util.List;

/**
 * A generation that ran to its end, as a response that does not stream renders it: its tokens and its
 * result.
 */
record CompletedGeneration(List<TokenOutput> tokens, GenerationResult result) {
  CompletedGeneration {
    tokens = List.copyOf(tokens);
  }

  /** The tokens and result among {@code events}; a failed generation throws its error (for the error mapping). */
  static CompletedGeneration of(List<GenerationEvent> events) {
    List<TokenOutput> tokens = new ArrayList<>();
    GenerationResult result = null;
    for (GenerationEvent e : events) {
      switch (e) {
        case GenerationEvent.Token t -> tokens.add(t.token());
        case GenerationEvent.Finished f -> result = f.result();
        case GenerationEvent.Failed f -> throw f.error();
        case GenerationEvent.End end -> { }
      }
    }
    if (result == null) {
      throw new IllegalStateException("generation ended without a result");
    }
    return new CompletedGeneration(tokens, result);
  }
}
