package io.lorafleet.actors.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** JSON and Server-Sent-Events responses. */
final class HttpResponses {
  private HttpResponses() {}

  static HttpResponse json(int status, JsonNode body) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, write(body));
  }

  static HttpResponse json(JsonNode body) {
    return json(200, body);
  }

  static byte[] write(JsonNode body) {
    try {
      return RequestFields.JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ObjectNode object() {
    return RequestFields.JSON.createObjectNode();
  }

  /** One SSE event: {@code data: <json>}. */
  static ByteString event(JsonNode data) {
    return ByteString.fromString("data: ").concat(ByteString.fromArray(write(data))).concat(ByteString.fromString("\n\n"));
  }

  static ByteString event(String data) {
    return ByteString.fromString("data: " + data + "\n\n", StandardCharsets.UTF_8);
  }

  /** How long a stream may stay silent before it sends an SSE comment (keeps the connection from idling out). */
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
  static final ByteString KEEP_ALIVE_COMMENT = ByteString.fromString(": keep-alive\n\n");

  static HttpResponse eventStream(Source<ByteString, NotUsed> events) {
    return eventStream(events, KEEP_ALIVE);
  }

  /** Server-Sent Events; an SSE comment goes out whenever the stream was silent for {@code keepAlive}. */
  static HttpResponse eventStream(Source<ByteString, NotUsed> events, Duration keepAlive) {
    return HttpResponse.create().withStatus(200)
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        .withEntity(HttpEntities.createChunked(MediaTypes.TEXT_EVENT_STREAM.toContentType(),
            events.keepAlive(keepAlive, () -> KEEP_ALIVE_COMMENT)));
  }
}
