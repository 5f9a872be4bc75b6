package io.lorafleet.actors.http;

import io.lorafleet.actors.adapters.AdapterSource;
import io.lorafleet.actors.adapters.SourcePolicy;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.tokenizer.ChatMessage;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.util.List;

/**
 * Where the fields of an API request become what the engine runs, for every API: the adapter choice, the
 * prompt's tokens (text, or chat messages through the model's template) and the node's limits the defaults
 * depend on. The codecs call it in their own order of checks, then build the {@link GenerationRequest}.
 */
final class RequestMapping {
  private final NodeHandles node;

  RequestMapping(NodeHandles node) {
    this.node = node;
  }

  /** The name clients use for the base model. */
  String modelName() {
    return node.modelName();
  }

  /** Longest prompt plus output the engine accepts. */
  int maxModelLen() {
    return node.model().engine().maxModelLen();
  }

  /**
   * The adapter a request names: none (base model, also when it names the base model), a registered id, or
   * (LoRAX {@code adapter_source} / a path or URL as id) a source that is registered on first use under
   * that id after the node's source policy accepted it.
   */
  AdapterChoice adapter(String id, String sourceHint) {
    if (id == null || id.isEmpty() || id.equals(node.modelName())) {
      return AdapterChoice.BASE;
    }
    boolean hinted = sourceHint != null && !sourceHint.equalsIgnoreCase("hub");
    if (!hinted && !SourcePolicy.looksLikeSource(id)) {
      return new AdapterChoice(id, null);
    }
    AdapterSource source = node.sources().check(id, sourceHint);
    return new AdapterChoice(id, source.spec());
  }

  /** The tokens of a text prompt ({@code addSpecial}: with the tokenizer's BOS and the like). */
  int[] encode(String text, boolean addSpecial) {
    if (text.isEmpty()) {
      throw new InvalidRequestException("the prompt is empty");
    }
    return tokenizer().encode(text, addSpecial);
  }

  /** The tokens of a chat: the messages through the model's chat template, with the assistant's turn opened. */
  int[] chat(List<ChatMessage> messages) {
    var template = tokenizer().chatTemplate()
        .orElseThrow(() -> new InvalidRequestException("model " + node.modelName() + " has no chat template"));
    return encode(template.render(messages, true), false);
  }

  private HfTokenizer tokenizer() {
    return node.model().tokenizer();
  }
}
