package io.lorafleet.actors.batch;

import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;

/** What a requester hears about its generation, in order: tokens, then one of finished or failed, then end. */
public sealed interface GenerationEvent {
  /** A generated token, with the {@link System#nanoTime()} it was produced at. */
  record Token(TokenOutput token, long nanos) implements GenerationEvent {}

  record Finished(GenerationResult result) implements GenerationEvent {}

  record Failed(LoraFleetException error) implements GenerationEvent {}

  /** Closes the stream (not emitted downstream). */
  enum End implements GenerationEvent { INSTANCE }
}
