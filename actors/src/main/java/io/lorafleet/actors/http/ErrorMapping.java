package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.adapters.AdapterConflictException;
import io.lorafleet.actors.adapters.AdapterSourceException;
import io.lorafleet.actors.routing.NodeFailedException;
import io.lorafleet.actors.tenants.ApiKeyException;
import io.lorafleet.actors.tenants.KeyIdTakenException;
import io.lorafleet.actors.tenants.QuotaExceededException;
import io.lorafleet.runtime.errors.AdapterIncompatibleException;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.errors.NotFoundException;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.tokenizer.ChatTemplateException;
import io.lorafleet.runtime.tokenizer.TokenizerException;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where errors become HTTP responses: a status per error kind and the JSON body
 * {@code {"error": message, "error_type": type}}. Expected errors are not logged with stack traces.
 */
public final class ErrorMapping {
  private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);
  /** Seconds an overloaded client is told to wait. */
  static final int RETRY_AFTER_SECONDS = 1;

  private ErrorMapping() {}

  /**
   * A status, type and message for any error; {@code retryable}: the same request may succeed if sent again
   * (a node failed under it).
   */
  public record Problem(int status, String type, String message, boolean retryable) {
    public Problem(int status, String type, String message) {
      this(status, type, message, false);
    }
  }

  public static Problem problem(Throwable error) {
    Throwable t = unwrap(error);
    if (t instanceof EntityStreamSizeException e) {
      return new Problem(413, "payload_too_large", "request body is larger than the limit of " + e.limit() + " bytes");
    }
    if (t instanceof EntityStreamException e && e.getMessage() != null && e.getMessage().contains("too large")) {
      return new Problem(413, "payload_too_large", e.getMessage());
    }
    if (t instanceof LoraFleetException e) {
      int status = status(e);
      return status == 500 ? internal(e.errorType(), t)
          : new Problem(status, e.errorType(), e.getMessage(), e instanceof NodeFailedException);
    }
    if (t instanceof ChatTemplateException e) {
      return e.raisedByTemplate() ? new Problem(422, "invalid_request", e.getMessage()) : internal("chat_template", t);
    }
    if (t instanceof TokenizerException e) {
      return new Problem(422, "invalid_request", e.getMessage());
    }
    if (t instanceof TimeoutException) {
      return new Problem(503, "overloaded", "the node did not answer in time; retry later");
    }
    return internal("internal_error", t);
  }

  /**
   * A 500: the client gets a generic message with a reference; the log gets the reference with the
   * exception and its stack trace (class names, paths and the like stay on the server).
   */
  private static Problem internal(String type, Throwable t) {
    String reference = UUID.randomUUID().toString();
    log.error("internal error {} while serving a request", reference, t);
    return new Problem(500, type, "internal error (reference " + reference + "; the server's log has the details)");
  }

  private static int status(LoraFleetException e) {
    return switch (e) {
      case MalformedRequestException m -> 400;
      case InvalidRequestException i -> 422;
      case NotFoundException n -> 404;
      case AdapterIncompatibleException a -> 400;
      case ModelFormatException m -> 400;
      case AdapterSourceException s -> s.errorType().equals("adapter_source_refused") ? 403 : 400;
      case AdapterConflictException c -> 409;
      case OverloadedException o -> 503;
      case GenerationTimeoutException g -> 504;
      case ClientGoneException g -> 408;
      case AuthenticationException a -> a.disabled() ? 403 : 401;
      case ApiKeyException a -> 401;
      case QuotaExceededException q -> 429;
      case KeyIdTakenException k -> 409;
      default -> 500;
    };
  }

  /** The JSON error response for {@code error}. */
  public static HttpResponse toResponse(Throwable error) {
    return toResponse(error, false);
  }

  /**
   * The JSON error response for {@code error}; {@code openAi}: an API key or quota error gets the OpenAI API's
   * body ({@code {"error": {"message", "type", "param", "code"}}}) that OpenAI clients read.
   */
  public static HttpResponse toResponse(Throwable error, boolean openAi) {
    Problem p = problem(error);
    Throwable t = unwrap(error);
    ObjectNode body;
    if (openAi && (t instanceof ApiKeyException || t instanceof QuotaExceededException)) {
      body = JsonNodeFactory.instance.objectNode();
      ObjectNode e = body.putObject("error");
      e.put("message", p.message());
      e.put("type", t instanceof ApiKeyException ? "invalid_request_error" : "rate_limit_exceeded");
      e.putNull("param");
      e.put("code", t instanceof QuotaExceededException q ? q.limit() : "invalid_api_key");
    } else {
      body = body(p);
    }
    if (t instanceof QuotaExceededException q) {
      body.put("limit", q.limit());
    }
    HttpResponse r = HttpResponse.create().withStatus(p.status())
        .withEntity(ContentTypes.APPLICATION_JSON, body.toString());
    if (p.status() == 503) {
      r = r.addHeader(RawHeader.create("Retry-After", Integer.toString(RETRY_AFTER_SECONDS)));
    }
    if (t instanceof QuotaExceededException q) {
      r = r.addHeader(RawHeader.create("Retry-After", Integer.toString(q.retryAfterSeconds())));
    }
    if (p.status() == 401) {
      r = r.addHeader(RawHeader.create("WWW-Authenticate",
          t instanceof ApiKeyException ? "Bearer realm=\"lorafleet\"" : "Bearer realm=\"lorafleet-admin\""));
    }
    return r;
  }

  public static ObjectNode body(Problem p) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("error", p.message());
    n.put("error_type", p.type());
    if (p.retryable()) {
      n.put("retryable", true);
    }
    return n;
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
