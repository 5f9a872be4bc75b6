package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.adapters.AdapterRegistry;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.engine.TopLogprob;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * LoRAX-compatible endpoints ({@code POST /generate}, {@code POST /generate_stream}, {@code GET /info},
 * {@code GET /health}) with LoRAX's request parameters and response fields. Output constraints ({@code
 * parameters.response_format}, {@code parameters.grammar}): {@link OutputConstraintFields}.
 */
final class LoraxApi {
  static final int DEFAULT_MAX_NEW_TOKENS = 20;

  private final NodeHandles node;
  private final GenerationGateway gateway;
  private final GenerationSupport support;

  LoraxApi(NodeHandles node, GenerationGateway gateway, GenerationSupport support) {
    this.node = node;
    this.gateway = gateway;
    this.support = support;
  }

  /** A parsed {@code /generate} request. */
  private record Parsed(String inputs, int[] prompt, SamplingParams params, GenerationGateway.AdapterChoice adapter,
      boolean details, boolean decoderInputDetails, boolean returnFullText, boolean sampling) {}

  private Parsed parse(RequestFields body) {
    String inputs = body.requiredString("inputs");
    RequestFields p = body.object("parameters");
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
    SamplingParams params = SamplingParams.builder()
        .maxNewTokens(maxNew != null ? maxNew : DEFAULT_MAX_NEW_TOKENS)
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
    params.validate();
    GenerationGateway.AdapterChoice adapter = support.adapter(p.string("adapter_id"), p.string("adapter_source"));
    int[] prompt = support.encode(inputs, true);
    return new Parsed(inputs, prompt, params, adapter, p.bool("details", false), decoderInputDetails,
        p.bool("return_full_text", false), t > 0);
  }

  CompletionStage<HttpResponse> generate(RequestFields body) {
    Parsed r = parse(body);
    return gateway.start(r.adapter(), r.prompt(), r.params(), false)
        .thenCompose(g -> g.collect(node.system()))
        .thenApply(events -> {
          GenerationResult result = GenerationSupport.result(events);
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
            for (TokenOutput t : GenerationSupport.tokens(events)) {
              tokens.add(token(t, r.params().topLogprobs() > 0));
            }
            d.putNull("best_of_sequences");
          }
          return HttpResponses.json(out);
        });
  }

  CompletionStage<HttpResponse> generateStream(RequestFields body) {
    Parsed r = parse(body);
    return gateway.start(r.adapter(), r.prompt(), r.params(), true).thenApply(g -> {
      Source<ByteString, org.apache.pekko.NotUsed> sse = g.events().statefulMapConcat(() -> {
        // The last token's event carries the final text and details, so it waits for the result.
        TokenOutput[] held = {null};
        return e -> {
          List<ByteString> out = new ArrayList<>();
          switch (e) {
            case GenerationEvent.Token t -> {
              if (held[0] != null) {
                out.add(HttpResponses.event(streamEvent(held[0], null, null, r)));
                held[0] = null;
              }
              if (t.token().isLast()) {
                held[0] = t.token();
              } else {
                out.add(HttpResponses.event(streamEvent(t.token(), null, null, r)));
              }
            }
            case GenerationEvent.Finished f -> {
              TokenOutput last = held[0] != null ? held[0] : lastTokenWithoutText(f.result());
              held[0] = null;
              out.add(HttpResponses.event(streamEvent(last, f.result(), r.inputs(), r)));
            }
            case GenerationEvent.Failed f -> {
              if (held[0] != null) {
                out.add(HttpResponses.event(streamEvent(held[0], null, null, r)));
                held[0] = null;
              }
              out.add(HttpResponses.event(ErrorMapping.body(ErrorMapping.problem(f.error()))));
            }
            default -> { }
          }
          return out;
        };
      });
      return HttpResponses.eventStream(sse);
    });
  }

  private static TokenOutput lastTokenWithoutText(GenerationResult r) {
    int n = r.tokenIds().length;
    if (n == 0) {
      return new TokenOutput(0, 0, "", 0f, List.of(), true, r.finishReason());
    }
    return new TokenOutput(n - 1, r.tokenIds()[n - 1], "", r.logprobs()[n - 1], List.of(), false, r.finishReason());
  }

  private ObjectNode streamEvent(TokenOutput t, GenerationResult done, String inputs, Parsed r) {
    ObjectNode ev = HttpResponses.object();
    ev.set("token", token(t, r.params().topLogprobs() > 0));
    if (done == null) {
      ev.putNull("generated_text");
      ev.putNull("details");
    } else {
      ev.put("generated_text", (r.returnFullText() ? inputs : "") + done.text());
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

  private static void putSeed(ObjectNode d, Parsed r, GenerationResult result) {
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
      p.put("text", support.tokenText(ids[i]));
      if (lps == null || i == 0 || Float.isNaN(lps[i])) {
        p.putNull("logprob");
      } else {
        p.put("logprob", GenerationSupport.safe(lps[i]));
      }
    }
  }

  private ObjectNode token(TokenOutput t, boolean alternatives) {
    ObjectNode n = HttpResponses.object();
    n.put("id", t.tokenId());
    n.put("text", t.special() ? support.tokenText(t.tokenId()) : t.text());
    n.put("logprob", GenerationSupport.safe(t.logprob()));
    n.put("special", t.special());
    if (alternatives) {
      ArrayNode alts = n.putArray("alternative_tokens");
      for (TopLogprob a : t.top()) {
        ObjectNode o = alts.addObject();
        o.put("id", a.tokenId());
        o.put("text", support.tokenText(a.tokenId()));
        o.put("logprob", GenerationSupport.safe(a.logprob()));
      }
    }
    n.put("skipped", false);
    return n;
  }

  static String finishReason(FinishReason r) {
    return switch (r) {
      case LENGTH -> "length";
      case EOS -> "eos_token";
      case STOP -> "stop_sequence";
      case CANCELLED -> "cancelled";
    };
  }

  CompletionStage<HttpResponse> info() {
    return AdapterRegistry.snapshot(node.system(), Duration.ofSeconds(3)).thenApply(adapters -> {
      EngineConfig c = node.engine().engine().config();
      int maxLen = node.engine().engine().maxModelLen();
      ObjectNode o = HttpResponses.object();
      o.put("model_id", node.modelName());
      o.putNull("model_sha");
      o.put("model_dtype", "float32");
      o.put("model_device_type", node.engine().backend().name());
      o.put("model_pipeline_tag", "text-generation");
      o.put("max_concurrent_requests", c.maxNumSeqs() + c.maxWaiting());
      o.put("max_best_of", 1);
      o.put("max_stop_sequences", SamplingParams.MAX_STOP_SEQUENCES);
      o.put("max_input_length", maxLen - 1);
      o.put("max_total_tokens", maxLen);
      o.put("waiting_served_ratio", 1.2);
      var stats = node.engine().engine().stats();
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
        a.put("adapter_source", reg.source());
      });
      o.put("supports_generation", true);
      o.put("supports_embeddings", false);
      o.put("supports_classification", false);
      return HttpResponses.json(o);
    });
  }

  HttpResponse health() {
    ObjectNode o = HttpResponses.object();
    o.put("status", "ok");
    return HttpResponses.json(o);
  }
}
