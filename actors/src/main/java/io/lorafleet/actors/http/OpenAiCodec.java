package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.engine.TopLogprob;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.tokenizer.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The OpenAI API's bodies: a completion or chat completion request parsed into a checked {@link Request},
 * and the responses rendered from a generation (whole, or as Server-Sent Events chunks), with OpenAI's
 * logprobs shapes, and the model list. No routing and no running here ({@link OpenAiApi} does that).
 * Output constraints ({@code response_format}, {@code guided_*}): {@link OutputConstraintFields}.
 */
final class OpenAiCodec {
  static final int DEFAULT_COMPLETION_TOKENS = 16;

  private final RequestMapping mapping;
  private final TokenTexts texts;

  OpenAiCodec(RequestMapping mapping, TokenTexts texts) {
    this.mapping = mapping;
    this.texts = texts;
  }

  /**
   * A parsed request, either kind.
   *
   * @param chat         {@code /v1/chat/completions} (else {@code /v1/completions})
   * @param model        the model name answered with (the adapter, or the base model)
   * @param generation   what runs
   * @param includeUsage {@code stream_options.include_usage}
   * @param logprobs     whether logprobs are returned
   * @param tokensAsIds  vLLM's {@code return_tokens_as_token_ids}
   */
  record Request(boolean chat, String model, GenerationRequest generation, boolean includeUsage, boolean logprobs,
      boolean tokensAsIds) {

    boolean stream() {
      return generation.streaming();
    }

    /** The response id for the request's id: {@code chatcmpl-...} or {@code cmpl-...}. */
    String responseId(String requestId) {
      return (chat ? "chatcmpl-" : "cmpl-") + requestId;
    }
  }

  // ------------------------------------------------------------------ parsing

  Request parse(RequestFields b, boolean chat) {
    String model = b.string("model");
    PriorityClass priority = b.priority("priority");
    Integer n = b.integer("n");
    if (n != null && n != 1) {
      throw new InvalidRequestException("n must be 1: this server returns one choice per request, got n=" + n);
    }
    Integer bestOf = b.integer("best_of");
    if (bestOf != null && bestOf != 1) {
      throw new InvalidRequestException("best_of must be 1 on this server, got " + bestOf);
    }
    if (b.bool("echo", false)) {
      throw new InvalidRequestException("echo is not supported by this server");
    }
    for (String f : List.of("presence_penalty", "frequency_penalty")) {
      Double v = b.number(f);
      if (v != null && v != 0) {
        throw new InvalidRequestException(f + " is not supported by this server (use repetition_penalty)");
      }
    }
    if (b.has("suffix")) {
      throw new InvalidRequestException("suffix is not supported by this server");
    }
    if (b.has("tools") || b.has("functions")) {
      throw new InvalidRequestException("tools are not supported by this server");
    }
    int[] prompt = chat ? mapping.chat(messages(b)) : completionPrompt(b);
    Integer maxTokens = b.integer("max_completion_tokens");
    if (maxTokens == null) {
      maxTokens = b.integer("max_tokens");
    }
    if (maxTokens == null) {
      maxTokens = chat ? Math.max(1, mapping.maxModelLen() - prompt.length) : DEFAULT_COMPLETION_TOKENS;
    }
    mapping.checkFits(prompt, maxTokens);
    int topLogprobs;
    boolean logprobs;
    if (chat) {
      logprobs = b.bool("logprobs", false);
      Integer tl = b.integer("top_logprobs");
      if (tl != null && !logprobs) {
        throw new InvalidRequestException("top_logprobs needs \"logprobs\": true");
      }
      topLogprobs = tl == null ? 0 : tl;
    } else {
      Integer lp = b.integer("logprobs");
      logprobs = lp != null;
      topLogprobs = lp == null ? 0 : lp;
    }
    Integer topK = b.integer("top_k");
    Double temperature = b.number("temperature");
    Double topP = b.number("top_p");
    Double rep = b.number("repetition_penalty");
    SamplingParams params = SamplingParams.builder()
        .maxNewTokens(maxTokens)
        .temperature(temperature != null ? temperature : 1.0)
        .topK(topK == null || topK == -1 ? 0 : topK)
        .topP(topP != null ? topP : 1.0)
        .repetitionPenalty(rep != null ? rep : 1.0)
        .seed(b.longValue("seed"))
        .stop(b.stringOrList("stop"))
        .ignoreEos(b.bool("ignore_eos", false))
        .topLogprobs(topLogprobs)
        .skipSpecialTokens(b.bool("skip_special_tokens", true))
        .constraint(OutputConstraintFields.openAi(b))
        .build();
    AdapterChoice adapter = mapping.adapter(model, null);
    RequestFields so = b.object("stream_options");
    boolean stream = b.bool("stream", false);
    return new Request(chat, model == null ? mapping.modelName() : model,
        new GenerationRequest(adapter, prompt, params, stream, priority), so.bool("include_usage", false),
        logprobs,
        b.bool("return_tokens_as_token_ids", false));
  }

  private int[] completionPrompt(RequestFields b) {
    JsonNode p = b.raw("prompt");
    if (p == null) {
      throw new InvalidRequestException("field \"prompt\" is required");
    }
    if (p.isTextual()) {
      return mapping.encode(p.textValue(), true);
    }
    if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
      return mapping.encode(p.get(0).textValue(), true);
    }
    if (p.isArray() && p.size() > 0 && p.get(0).isIntegralNumber()) {
      return mapping.tokenIds(p, "prompt");
    }
    if (p.isArray() && p.size() > 1) {
      throw new InvalidRequestException("one prompt per request: field \"prompt\" has " + p.size() + " prompts");
    }
    throw new InvalidRequestException("field \"prompt\" must be a string or a list of token ids");
  }

  private static List<ChatMessage> messages(RequestFields b) {
    JsonNode msgs = b.raw("messages");
    if (msgs == null || !msgs.isArray() || msgs.isEmpty()) {
      throw new InvalidRequestException("field \"messages\" must be a non-empty list");
    }
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode m : msgs) {
      JsonNode role = m.get("role");
      if (role == null || !role.isTextual()) {
        throw new InvalidRequestException("each message needs a string \"role\"");
      }
      messages.add(new ChatMessage(role.textValue(), content(m.get("content"))));
    }
    return messages;
  }

  private static String content(JsonNode c) {
    if (c == null || c.isNull()) {
      return "";
    }
    if (c.isTextual()) {
      return c.textValue();
    }
    if (c.isArray()) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode part : c) {
        JsonNode type = part.get("type");
        if (type == null || !"text".equals(type.asText()) || !part.path("text").isTextual()) {
          throw new InvalidRequestException("only text content parts are supported");
        }
        sb.append(part.get("text").textValue());
      }
      return sb.toString();
    }
    throw new InvalidRequestException("message \"content\" must be a string or a list of text parts");
  }

  // ------------------------------------------------------------------ rendering

  /** The whole response of a request that does not stream. */
  ObjectNode completion(Request r, String id, long created, CompletedGeneration done) {
    GenerationResult result = done.result();
    ObjectNode o = header(r, id, created, false);
    ObjectNode choice = o.putArray("choices").addObject();
    choice.put("index", 0);
    if (r.chat()) {
      ObjectNode msg = choice.putObject("message");
      msg.put("role", "assistant");
      msg.put("content", result.text());
    } else {
      choice.put("text", result.text());
    }
    if (r.logprobs()) {
      choice.set("logprobs", r.chat() ? chatLogprobs(r, done.tokens()) : completionLogprobs(r, done.tokens(), 0));
    } else {
      choice.putNull("logprobs");
    }
    choice.put("finish_reason", finishReason(result.finishReason()));
    o.set("usage", usage(result));
    return o;
  }

  /** The Server-Sent Events of a streamed response: chunks, the final chunk, usage, {@code [DONE]}. */
  Source<ByteString, NotUsed> chunks(Request r, Source<GenerationEvent, NotUsed> events, String id, long created) {
    return events.statefulMapConcat(() -> {
      boolean[] first = {true};
      int[] offset = {0};
      return e -> {
        List<ByteString> out = new ArrayList<>();
        if (first[0] && r.chat()) {
          first[0] = false;
          ObjectNode c = header(r, id, created, true);
          ObjectNode ch = c.putArray("choices").addObject();
          ch.put("index", 0);
          ObjectNode delta = ch.putObject("delta");
          delta.put("role", "assistant");
          delta.put("content", "");
          ch.putNull("logprobs");
          ch.putNull("finish_reason");
          out.add(HttpResponses.event(c));
        }
        switch (e) {
          case GenerationEvent.Token t -> {
            String text = t.token().text();
            if (!text.isEmpty() || r.logprobs()) {
              ObjectNode c = header(r, id, created, true);
              ObjectNode ch = c.putArray("choices").addObject();
              ch.put("index", 0);
              if (r.chat()) {
                ch.putObject("delta").put("content", text);
                ch.set("logprobs", r.logprobs() ? chatLogprobs(r, List.of(t.token())) : null);
              } else {
                ch.put("text", text);
                ch.set("logprobs", r.logprobs() ? completionLogprobs(r, List.of(t.token()), offset[0]) : null);
              }
              offset[0] += text.length();
              ch.putNull("finish_reason");
              out.add(HttpResponses.event(c));
            }
          }
          case GenerationEvent.Finished f -> {
            ObjectNode c = header(r, id, created, true);
            ObjectNode ch = c.putArray("choices").addObject();
            ch.put("index", 0);
            if (r.chat()) {
              ch.putObject("delta");
            } else {
              ch.put("text", "");
            }
            ch.putNull("logprobs");
            ch.put("finish_reason", finishReason(f.result().finishReason()));
            out.add(HttpResponses.event(c));
            if (r.includeUsage()) {
              ObjectNode u = header(r, id, created, true);
              u.putArray("choices");
              u.set("usage", usage(f.result()));
              out.add(HttpResponses.event(u));
            }
            out.add(HttpResponses.event("[DONE]"));
          }
          case GenerationEvent.Failed f -> {
            out.add(HttpResponses.event(ErrorMapping.body(ErrorMapping.problem(f.error()))));
            out.add(HttpResponses.event("[DONE]"));
          }
          default -> { }
        }
        return out;
      };
    });
  }

  /** {@code GET /v1/models}: the base model, then every registered adapter. */
  /**
   * {@code GET /v1/models}: the base model, then each adapter with its one-line {@code description} where
   * {@code descriptions} has one.
   */
  ObjectNode models(Map<String, RegisteredAdapter> adapters, Map<String, String> descriptions, long created) {
    ObjectNode o = HttpResponses.object();
    o.put("object", "list");
    ArrayNode data = o.putArray("data");
    ObjectNode base = data.addObject();
    base.put("id", mapping.modelName());
    base.put("object", "model");
    base.put("created", created);
    base.put("owned_by", "lorafleet");
    base.put("root", mapping.modelName());
    base.putNull("parent");
    base.put("max_model_len", mapping.maxModelLen());
    adapters.forEach((id, reg) -> {
      ObjectNode a = data.addObject();
      a.put("id", id);
      a.put("object", "model");
      a.put("created", created);
      a.put("owned_by", "lorafleet");
      a.put("root", id); // not the source: paths and URLs stay under /admin
      a.put("parent", mapping.modelName());
      a.put("max_model_len", mapping.maxModelLen());
      String description = descriptions.get(id);
      if (description != null) {
        a.put("description", description);
      }
    });
    return o;
  }

  private ObjectNode header(Request r, String id, long created, boolean chunk) {
    ObjectNode o = HttpResponses.object();
    o.put("id", id);
    o.put("object", r.chat() ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
    o.put("created", created);
    o.put("model", r.model());
    o.putNull("system_fingerprint");
    return o;
  }

  private static ObjectNode usage(GenerationResult result) {
    ObjectNode u = HttpResponses.object();
    u.put("prompt_tokens", result.promptTokenIds().length);
    u.put("completion_tokens", result.tokenIds().length);
    u.put("total_tokens", result.promptTokenIds().length + result.tokenIds().length);
    return u;
  }

  /** OpenAI's finish reasons. */
  static String finishReason(FinishReason r) {
    return switch (r) {
      case LENGTH -> "length";
      case EOS, STOP -> "stop";
      case CANCELLED -> "abort";
    };
  }

  private String tokenString(Request r, int id) {
    return r.tokensAsIds() ? "token_id:" + id : texts.text(id);
  }

  private ObjectNode completionLogprobs(Request r, List<TokenOutput> tokens, int startOffset) {
    ObjectNode lp = HttpResponses.object();
    ArrayNode toks = lp.putArray("tokens");
    ArrayNode lps = lp.putArray("token_logprobs");
    ArrayNode tops = lp.putArray("top_logprobs");
    ArrayNode offsets = lp.putArray("text_offset");
    int offset = startOffset;
    for (TokenOutput t : tokens) {
      toks.add(tokenString(r, t.tokenId()));
      lps.add(TokenTexts.logprob(t.logprob()));
      ObjectNode top = tops.addObject();
      for (TopLogprob a : t.top()) {
        top.put(tokenString(r, a.tokenId()), TokenTexts.logprob(a.logprob()));
      }
      offsets.add(offset);
      offset += t.text().length();
    }
    return lp;
  }

  private ObjectNode chatLogprobs(Request r, List<TokenOutput> tokens) {
    ObjectNode lp = HttpResponses.object();
    ArrayNode content = lp.putArray("content");
    for (TokenOutput t : tokens) {
      ObjectNode c = content.addObject();
      c.put("token", tokenString(r, t.tokenId()));
      c.put("logprob", TokenTexts.logprob(t.logprob()));
      TokenTexts.utf8(c.putArray("bytes"), texts.text(t.tokenId()));
      ArrayNode top = c.putArray("top_logprobs");
      for (TopLogprob a : t.top()) {
        ObjectNode o = top.addObject();
        o.put("token", tokenString(r, a.tokenId()));
        o.put("logprob", TokenTexts.logprob(a.logprob()));
        TokenTexts.utf8(o.putArray("bytes"), texts.text(a.tokenId()));
      }
    }
    lp.putNull("refusal");
    return lp;
  }
}
