package io.lorafleet.tools.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The two APIs the load client drives, each as request bodies and a reading of its responses: LoRAX's
 * {@code /generate(_stream)} and OpenAI's {@code /v1/completions}. Requests are greedy and ignore the end of
 * sequence, so every request generates exactly {@code maxNewTokens} tokens.
 */
public enum ServingApi {
  LORAX {
    @Override
    public String path(boolean stream) {
      return stream ? "/generate_stream" : "/generate";
    }

    @Override
    public ObjectNode body(String adapter, String prompt, int maxNewTokens, boolean stream) {
      ObjectNode b = JsonNodeFactory.instance.objectNode();
      b.put("inputs", prompt);
      ObjectNode p = b.putObject("parameters");
      if (adapter != null) {
        p.put("adapter_id", adapter);
      }
      p.put("max_new_tokens", maxNewTokens);
      p.put("ignore_eos_token", true);
      p.put("details", true);
      return b;
    }

    @Override
    void onEvent(JsonNode event, ExchangeRecorder x, long nanos) {
      if (event.hasNonNull("error")) {
        x.streamError();
        return;
      }
      if (event.has("token")) {
        x.token(nanos);
      }
      JsonNode text = event.get("generated_text");
      if (text != null && !text.isNull()) {
        onBody(event, x, nanos);
      }
    }

    @Override
    void onBody(JsonNode body, ExchangeRecorder x, long nanos) {
      JsonNode d = body.path("details");
      x.finished(count(d, "generated_tokens"), count(d, "prompt_tokens"));
    }
  },

  OPENAI {
    @Override
    public String path(boolean stream) {
      return "/v1/completions";
    }

    @Override
    public ObjectNode body(String adapter, String prompt, int maxNewTokens, boolean stream) {
      ObjectNode b = JsonNodeFactory.instance.objectNode();
      if (adapter != null) {
        b.put("model", adapter);
      }
      b.put("prompt", prompt);
      b.put("max_tokens", maxNewTokens);
      b.put("temperature", 0);
      b.put("ignore_eos", true);
      if (stream) {
        b.put("stream", true);
        b.putObject("stream_options").put("include_usage", true);
      }
      return b;
    }

    @Override
    void onEvent(JsonNode event, ExchangeRecorder x, long nanos) {
      if (event.hasNonNull("error")) {
        x.streamError();
        return;
      }
      JsonNode choices = event.path("choices");
      if (choices.isArray() && !choices.isEmpty()) {
        JsonNode c = choices.get(0);
        if (c.path("finish_reason").isNull() || c.path("finish_reason").isMissingNode()) {
          x.token(nanos); // chunks carry the text of one token (tokens with empty text send none)
        } else {
          x.firstOutput(nanos); // all tokens had empty text: the final chunk is the first output
          x.finished(null, null);
        }
      }
      if (event.hasNonNull("usage")) {
        x.finished(count(event.get("usage"), "completion_tokens"), count(event.get("usage"), "prompt_tokens"));
      }
    }

    @Override
    void onBody(JsonNode body, ExchangeRecorder x, long nanos) {
      JsonNode u = body.path("usage");
      x.finished(count(u, "completion_tokens"), count(u, "prompt_tokens"));
    }
  };

  /** The endpoint's path. */
  public abstract String path(boolean stream);

  /** A request body for {@code adapter} (null: the base model). */
  public abstract ObjectNode body(String adapter, String prompt, int maxNewTokens, boolean stream);

  /**
   * A request body with a {@code priority} class ({@code interactive}, {@code standard}, {@code batch}; null
   * leaves the field out): in {@code parameters} for LoRAX, at the top level for OpenAI.
   */
  public ObjectNode body(String adapter, String prompt, int maxNewTokens, boolean stream, String priority) {
    ObjectNode b = body(adapter, prompt, maxNewTokens, stream);
    if (priority != null) {
      (this == LORAX ? (ObjectNode) b.get("parameters") : b).put("priority", priority);
    }
    return b;
  }

  /** Reads one streamed event (the JSON after {@code data: }) received at {@code nanos}. */
  abstract void onEvent(JsonNode event, ExchangeRecorder x, long nanos);

  /** Reads a whole (non-streamed) successful response body. */
  abstract void onBody(JsonNode body, ExchangeRecorder x, long nanos);

  private static Integer count(JsonNode parent, String field) {
    JsonNode n = parent.path(field);
    return n.canConvertToInt() && n.isIntegralNumber() ? n.intValue() : null;
  }
}
