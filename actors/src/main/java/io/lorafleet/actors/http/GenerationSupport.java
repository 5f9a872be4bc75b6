package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.lorafleet.actors.adapters.AdapterSource;
import io.lorafleet.actors.adapters.SourcePolicy;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** What the LoRAX and OpenAI APIs share: adapter choice, token texts, result extraction. */
final class GenerationSupport {
  private final NodeHandles node;

  GenerationSupport(NodeHandles node) {
    this.node = node;
  }

  HfTokenizer tokenizer() {
    return node.engine().tokenizer();
  }

  int maxModelLen() {
    return node.engine().engine().maxModelLen();
  }

  /**
   * The adapter a request names: none (base model, also when it names the base model), a registered id, or
   * (LoRAX {@code adapter_source} / a path or URL as id) a source that is registered on first use under
   * that id after the node's source policy accepted it.
   */
  GenerationGateway.AdapterChoice adapter(String id, String sourceHint) {
    if (id == null || id.isEmpty() || id.equals(node.modelName())) {
      return GenerationGateway.AdapterChoice.BASE;
    }
    boolean hinted = sourceHint != null && !sourceHint.equalsIgnoreCase("hub");
    if (!hinted && !SourcePolicy.looksLikeSource(id)) {
      return new GenerationGateway.AdapterChoice(id, null);
    }
    AdapterSource source = node.sources().check(id, sourceHint);
    return new GenerationGateway.AdapterChoice(id, source.spec());
  }

  int[] encode(String text, boolean addSpecial) {
    if (text.isEmpty()) {
      throw new InvalidRequestException("the prompt is empty");
    }
    return tokenizer().encode(text, addSpecial);
  }

  /** The text of one token on its own, special tokens included. */
  String tokenText(int id) {
    return tokenizer().decode(new int[] {id}, false);
  }

  static ArrayNode bytes(ArrayNode into, String text) {
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      into.add(b & 0xff);
    }
    return into;
  }

  static GenerationResult result(List<GenerationEvent> events) {
    for (GenerationEvent e : events) {
      if (e instanceof GenerationEvent.Finished f) {
        return f.result();
      }
    }
    var err = GenerationGateway.failure(events);
    if (err != null) {
      throw err;
    }
    throw new IllegalStateException("generation ended without a result");
  }

  static List<TokenOutput> tokens(List<GenerationEvent> events) {
    List<TokenOutput> out = new ArrayList<>();
    for (GenerationEvent e : events) {
      if (e instanceof GenerationEvent.Token t) {
        out.add(t.token());
      }
    }
    return out;
  }

  /** OpenAI's finish reasons. */
  static String openAiFinishReason(FinishReason r) {
    return switch (r) {
      case LENGTH -> "length";
      case EOS, STOP -> "stop";
      case CANCELLED -> "abort";
    };
  }

  static double safe(float logprob) {
    return Float.isFinite(logprob) ? logprob : -9999.0;
  }
}
