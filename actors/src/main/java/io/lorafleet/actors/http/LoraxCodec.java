package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.EngineStats;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.engine.TopLogprob;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The LoRAX API's bodies: a {@code /generate} request parsed into a checked {@link Request}, and the
 * responses rendered from a generation ({@code generated_text} with {@code details}, or the token events of
 * {@code /generate_stream}), and {@code /info}. No routing and no running here ({@link LoraxApi} does that).
 * Output constraints ({@code parameters.response_format}, {@code parameters.grammar}): {@link
 * OutputConstraintFields}.
 */
final class LoraxCodec {
  static final int DEFAULT_MAX_NEW_TOKENS = 20;

  private final RequestMapping mapping;
  private final TokenTexts texts;

  LoraxCodec(RequestMapping mapping, TokenTexts texts) {
    this.mapping = mapping;
    this.texts = texts;
  }

  /**
   * A parsed {@code /generate} or {@code /generate_stream} request.
   *
   * @param inputs              the prompt text (returned in front with {@code return_full_text})
   * @param generation          what runs
   * @param details             whether the response has {@code details}
   * @param decoderInputDetails whether the details list the prompt's tokens with their logprobs
   * @param returnFullText      whether the prompt is prepended to the generated text
   * @param sampling            whether tokens are sampled (then the seed is reported)
   */
  record Request(String inputs, GenerationRequest generation, boolean details, boolean decoderInputDetails,
      boolean returnFullText, boolean sampling) {

    boolean alternatives() {
      return generation.params().topLogprobs() > 0;
    }
  }

  // ------------------------------------------------------------------ parsing

  Request parse(RequestFields body, boolean streaming) {
    String inputs = body.requiredString("inputs");
    RequestFields p = body.object("parameters");
    PriorityClass priority = p.priority("priority");
    Integer bestOf = p.integer("best_of");
    if (bestOf != null && bestOf > 1) {
      throw new InvalidRequestException("best_of > 1 is not supported by this server");
    }
    if (p.has("merged_adapters")) {
      throw new InvalidRequestException("merged_adapters is not supported by this server");
    }
    boolean doSample = p.bool("do_sample", false);
    Double temperature = p.number("temperature");
    Integer topK = p.integer("top_k");
    Double topP = p.number("top_p");
    boolean sampling = doSample || temperature != null && temperature > 0 || topK != null || topP != null;
    double t = temperature != null ? temperature : sampling ? 1.0 : 0.0;
    Integer maxNew = p.integer("max_new_tokens");
    Integer alternatives = p.integer("return_k_alternatives");
    if (alternatives != null && alternatives < 0) {
      throw new InvalidRequestException("return_k_alternatives must be >= 0, got " + alternatives);
    }
    boolean decoderInputDetails = p.bool("decoder_input_details", false);
    int maxNewTokens = maxNew != null ? maxNew : DEFAULT_MAX_NEW_TOKENS;
    if (maxNewTokens < 1) {
      throw new InvalidRequestException("max_new_tokens must be at least 1, got " + maxNewTokens);
    }
    // The prompt is checked against the context before anything else is built from the request.
    int[] prompt = mapping.encode(inputs, true);
    mapping.checkFits(prompt, maxNewTokens);
    SamplingParams params = SamplingParams.builder()
        .maxNewTokens(maxNewTokens)
        .temperature(t)
        .topK(topK != null ? topK : 0)
        .topP(topP != null ? topP : 1.0)
        .repetitionPenalty(p.number("repetition_penalty") != null ? p.number("repetition_penalty") : 1.0)
        .seed(p.longValue("seed"))
        .stop(p.stringOrList("stop"))
        .ignoreEos(p.bool("ignore_eos_token", false) || p.bool("ignore_eos", false))
        .topLogprobs(alternatives != null ? alternatives : 0)
        .promptLogprobs(decoderInputDetails)
        .skipSpecialTokens(true)
        .constraint(OutputConstraintFields.lorax(p))
        .build();
    AdapterChoice adapter = mapping.adapter(p.string("adapter_id"), p.string("adapter_source"));
    return new Request(inputs, new GenerationRequest(adapter, prompt, params, streaming, priority),
        p.bool("details", false),
        decoderInputDetails, p.bool("return_full_text", false), t > 0);
  }

  // ------------------------------------------------------------------ rendering

  /** {@code /generate}'s response. */
  ObjectNode generated(Request r, CompletedGeneration done) {
    GenerationResult result = done.result();
    ObjectNode out = HttpResponses.object();
    out.put("generated_text", (r.returnFullText() ? r.inputs() : "") + result.text());
    if (r.details()) {
      ObjectNode d = out.putObject("details");
      d.put("finish_reason", finishReason(result.finishReason()));
      d.put("prompt_tokens", result.promptTokenIds().length);
      d.put("generated_tokens", result.tokenIds().length);
      d.put("skipped_tokens", 0);
      putSeed(d, r, result);
      ArrayNode prefill = d.putArray("prefill");
      if (r.decoderInputDetails()) {
        prefill(prefill, result);
      }
      ArrayNode tokens = d.putArray("tokens");
      for (TokenOutput t : done.tokens()) {
        tokens.add(token(t, r.alternatives()));
      }
      d.putNull("best_of_sequences");
    }
    return out;
  }

  /**
   * {@code /generate_stream}'s Server-Sent Events: one per token; the last token's event carries the final
   * text and details, so it waits for the result.
   */
  Source<ByteString, NotUsed> events(Request r, Source<GenerationEvent, NotUsed> events) {
    return events.statefulMapConcat(() -> {
      TokenOutput[] held = {null};
      return e -> {
        List<ByteString> out = new ArrayList<>();
        switch (e) {
          case GenerationEvent.Token t -> {
            if (held[0] != null) {
              out.add(HttpResponses.event(streamEvent(held[0], null, r)));
              held[0] = null;
            }
            if (t.token().isLast()) {
              held[0] = t.token();
            } else {
              out.add(HttpResponses.event(streamEvent(t.token(), null, r)));
            }
          }
          case GenerationEvent.Finished f -> {
            TokenOutput last = held[0] != null ? held[0] : lastTokenWithoutText(f.result());
            held[0] = null;
            out.add(HttpResponses.event(streamEvent(last, f.result(), r)));
          }
          case GenerationEvent.Failed f -> {
            if (held[0] != null) {
              out.add(HttpResponses.event(streamEvent(held[0], null, r)));
              held[0] = null;
            }
            out.add(HttpResponses.event(ErrorMapping.body(ErrorMapping.problem(f.error()))));
          }
          default -> { }
        }
        return out;
      };
    });
  }

  /**
   * {@code GET /info}.
   *
   * @param device the backend's name
   */
  ObjectNode info(Map<String, RegisteredAdapter> adapters, Map<String, String> descriptions, EngineConfig c,
      EngineStats stats, String device) {
    int maxLen = mapping.maxModelLen();
    ObjectNode o = HttpResponses.object();
    o.put("model_id", mapping.modelName());
    o.putNull("model_sha");
    o.put("model_dtype", "float32");
    o.put("model_device_type", device);
    o.put("model_pipeline_tag", "text-generation");
    o.put("max_concurrent_requests", c.maxNumSeqs() + c.maxWaiting());
    o.put("max_best_of", 1);
    o.put("max_stop_sequences", SamplingParams.MAX_STOP_SEQUENCES);
    o.put("max_input_length", maxLen - 1);
    o.put("max_total_tokens", maxLen);
    o.put("waiting_served_ratio", 1.2);
    o.put("max_batch_total_tokens", (long) stats.kvBlocksTotal() * c.blockSize());
    o.put("max_waiting_tokens", 20);
    o.put("validation_workers", 1);
    o.put("eager_prefill", false);
    o.put("version", "0.1.0");
    o.putNull("sha");
    o.putNull("docker_label");
    o.putNull("request_logger_url");
    ArrayNode pre = o.putArray("preloaded_adapters");
    adapters.forEach((id, reg) -> {
      ObjectNode a = pre.addObject();
      a.put("adapter_id", id);
      // The kind of source only: paths and URLs stay under /admin (this endpoint needs no token).
      a.put("adapter_source", reg.source().startsWith("file:") ? "local" : "url");
      String description = descriptions.get(id);
      if (description != null) {
        a.put("description", description);
      }
    });
    o.put("supports_generation", true);
    o.put("supports_embeddings", false);
    o.put("supports_classification", false);
    return o;
  }

  /** {@code GET /health}. */
  static ObjectNode health() {
    ObjectNode o = HttpResponses.object();
    o.put("status", "ok");
    return o;
  }

  private static TokenOutput lastTokenWithoutText(GenerationResult r) {
    int n = r.tokenIds().length;
    if (n == 0) {
      return new TokenOutput(0, 0, "", 0f, List.of(), true, r.finishReason());
    }
    return new TokenOutput(n - 1, r.tokenIds()[n - 1], "", r.logprobs()[n - 1], List.of(), false, r.finishReason());
  }

  private ObjectNode streamEvent(TokenOutput t, GenerationResult done, Request r) {
    ObjectNode ev = HttpResponses.object();
    ev.set("token", token(t, r.alternatives()));
    if (done == null) {
      ev.putNull("generated_text");
      ev.putNull("details");
    } else {
      ev.put("generated_text", (r.returnFullText() ? r.inputs() : "") + done.text());
      if (r.details()) {
        ObjectNode d = ev.putObject("details");
        d.put("finish_reason", finishReason(done.finishReason()));
        d.put("prompt_tokens", done.promptTokenIds().length);
        d.put("generated_tokens", done.tokenIds().length);
        putSeed(d, r, done);
      } else {
        ev.putNull("details");
      }
    }
    return ev;
  }

  private static void putSeed(ObjectNode d, Request r, GenerationResult result) {
    if (r.sampling()) {
      d.put("seed", result.seed());
    } else {
      d.putNull("seed");
    }
  }

  private void prefill(ArrayNode prefill, GenerationResult result) {
    int[] ids = result.promptTokenIds();
    float[] lps = result.promptLogprobs();
    for (int i = 0; i < ids.length; i++) {
      ObjectNode p = prefill.addObject();
      p.put("id", ids[i]);
      p.put("text", texts.text(ids[i]));
      if (lps == null || i == 0 || Float.isNaN(lps[i])) {
        p.putNull("logprob");
      } else {
        p.put("logprob", TokenTexts.logprob(lps[i]));
      }
    }
  }

  private ObjectNode token(TokenOutput t, boolean alternatives) {
    ObjectNode n = HttpResponses.object();
    n.put("id", t.tokenId());
    n.put("text", t.special() ? texts.text(t.tokenId()) : t.text());
    n.put("logprob", TokenTexts.logprob(t.logprob()));
    n.put("special", t.special());
    if (alternatives) {
      ArrayNode alts = n.putArray("alternative_tokens");
      for (TopLogprob a : t.top()) {
        ObjectNode o = alts.addObject();
        o.put("id", a.tokenId());
        o.put("text", texts.text(a.tokenId()));
        o.put("logprob", TokenTexts.logprob(a.logprob()));
      }
    }
    n.put("skipped", false);
    return n;
  }

  /** LoRAX's finish reasons. */
  static String finishReason(FinishReason r) {
    return switch (r) {
      case LENGTH -> "length";
      case EOS -> "eos_token";
      case STOP -> "stop_sequence";
      case CANCELLED -> "cancelled";
    };
  }
}
