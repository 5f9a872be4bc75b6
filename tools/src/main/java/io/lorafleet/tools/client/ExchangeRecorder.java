package io.lorafleet.tools.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;

/**
 * Follows one request's response line by line as it arrives: the status, each streamed event (read by the
 * {@link ServingApi}), the time of the first token and of the end, and what went wrong. The HTTP client
 * calls it serially; {@link #outcome()} and {@link #abort()} may come from another thread, hence the locks.
 */
public final class ExchangeRecorder implements Flow.Subscriber<String> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY_CHARS = 1 << 20;

  private final ServingApi api;
  private final boolean stream;
  private final String adapter;
  private final boolean warmup;
  private final long scheduledNanos;
  private final StringBuilder body = new StringBuilder();

  private long sentNanos;
  private int status = -1;
  private Flow.Subscription subscription;
  private long firstTokenNanos;
  private long endNanos;
  private int tokenEvents;
  private Integer generatedTokens;
  private Integer promptTokens;
  private boolean finished;
  private boolean streamError;
  private String failure;

  ExchangeRecorder(ServingApi api, boolean stream, String adapter, boolean warmup, long scheduledNanos) {
    this.api = api;
    this.stream = stream;
    this.adapter = adapter;
    this.warmup = warmup;
    this.scheduledNanos = scheduledNanos;
  }

  /** The body handler to send the request with: records the status, then feeds the lines here. */
  HttpResponse.BodyHandler<Void> handler() {
    return info -> {
      synchronized (this) {
        status = info.statusCode();
      }
      return HttpResponse.BodySubscribers.fromLineSubscriber(this, s -> null, StandardCharsets.UTF_8, null);
    };
  }

  synchronized void sent(long nanos) {
    sentNanos = nanos;
  }

  @Override
  public synchronized void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(Long.MAX_VALUE);
  }

  @Override
  public synchronized void onNext(String line) {
    long now = System.nanoTime();
    if (status == 200 && stream) {
      if (!line.startsWith("data:")) {
        return;
      }
      String data = line.substring(5).strip();
      if (data.equals("[DONE]")) {
        return;
      }
      JsonNode event;
      try {
        event = JSON.readTree(data);
      } catch (IOException e) {
        streamError = true;
        return;
      }
      api.onEvent(event, this, now);
    } else if (body.length() < MAX_BODY_CHARS) {
      body.append(line).append('\n');
    }
  }

  @Override
  public synchronized void onError(Throwable t) {
    endNanos = System.nanoTime();
    if (failure == null) {
      failure = "io_error";
    }
  }

  @Override
  public synchronized void onComplete() {
    long now = System.nanoTime();
    endNanos = now;
    if (status == 200 && !stream) {
      try {
        api.onBody(JSON.readTree(body.toString()), this, now);
      } catch (IOException e) {
        streamError = true;
      }
    }
  }

  /** A token event at {@code nanos} (the first one marks the time to first token). */
  synchronized void token(long nanos) {
    if (firstTokenNanos == 0) {
      firstTokenNanos = nanos;
    }
    tokenEvents++;
  }

  /** Output that is not a token (e.g. a final chunk): marks the first output time if no token came before. */
  synchronized void firstOutput(long nanos) {
    if (firstTokenNanos == 0) {
      firstTokenNanos = nanos;
    }
  }

  /** The response says the generation ended; counts are the server's when it gives them. */
  synchronized void finished(Integer generated, Integer prompt) {
    finished = true;
    if (generated != null) {
      generatedTokens = generated;
    }
    if (prompt != null) {
      promptTokens = prompt;
    }
  }

  /** An error event inside a stream that had started well. */
  synchronized void streamError() {
    streamError = true;
  }

  /** The exchange failed in the HTTP client (connect, timeout, I/O, cancelled); returns its outcome. */
  synchronized RequestOutcome failed(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof ConnectException || c instanceof HttpConnectTimeoutException) {
      return RequestOutcome.notStarted(adapter, warmup, "connect_error", scheduledNanos);
    }
    if (failure == null) {
      failure = c instanceof HttpTimeoutException || c instanceof CancellationException ? "timeout" : "io_error";
    }
    if (endNanos == 0) {
      endNanos = System.nanoTime();
    }
    return outcome();
  }

  /** Gives up on a response still running when the run ends. */
  synchronized void abort() {
    failure = "timeout";
    if (subscription != null) {
      subscription.cancel();
    }
  }

  /** The outcome, once the response ended. */
  synchronized RequestOutcome outcome() {
    String reason;
    if (failure != null) {
      reason = failure;
    } else if (status != 200) {
      reason = Integer.toString(status);
    } else if (streamError) {
      reason = "stream_error";
    } else if (!finished) {
      reason = "incomplete";
    } else {
      reason = null;
    }
    int generated = generatedTokens != null ? generatedTokens : tokenEvents;
    return new RequestOutcome(adapter, warmup, reason == null ? RequestOutcome.Result.OK : RequestOutcome.Result.FAILED,
        reason, scheduledNanos, sentNanos, stream ? firstTokenNanos : 0, endNanos, generated,
        promptTokens != null ? promptTokens : 0);
  }
}
