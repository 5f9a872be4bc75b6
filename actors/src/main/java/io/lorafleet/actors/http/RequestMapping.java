package io.lorafleet.actors.http;

import io.lorafleet.actors.adapters.AdapterIds;
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
      AdapterIds.check(id); // before anything (sharding, registry, store) is touched for it
      return new AdapterChoice(id, null);
    }
    if (id.length() > AdapterIds.MAX_SOURCE_LENGTH) {
      throw new InvalidRequestException("an adapter source may have at most " + AdapterIds.MAX_SOURCE_LENGTH
          + " characters, got " + id.length());
    }
    // One id per source however it is spelled; registered on first use only where the node allows it.
    AdapterSource source = node.sources().check(id, sourceHint);
    return new AdapterChoice(AdapterIds.forSource(source), node.autoRegister() ? source.spec() : null);
  }

  /**
   * Checks that the prompt plus {@code maxNewTokens} fits the engine's context and KV cache, before anything
   * is sized from {@code maxNewTokens} (422 otherwise).
   */
  void checkFits(int[] prompt, int maxNewTokens) {
    node.model().engine().checkFits(prompt.length, maxNewTokens);
  }

  /**
   * A prompt given as token ids: each must be an integer in the model's vocabulary (a number that does not
   * fit an int is refused, never wrapped).
   */
  int[] tokenIds(com.fasterxml.jackson.databind.JsonNode array, String field) {
    int vocab = node.model().engine().vocabSize();
    int[] ids = new int[array.size()];
    for (int i = 0; i < ids.length; i++) {
      com.fasterxml.jackson.databind.JsonNode v = array.get(i);
      if (!v.isIntegralNumber()) {
        throw new InvalidRequestException("field \"" + field + "\" must be a string or a list of token ids");
      }
      if (!v.canConvertToInt() || v.intValue() < 0 || v.intValue() >= vocab) {
        throw new InvalidRequestException("field \"" + field + "\": token id " + v.asText()
            + " is outside the vocabulary [0, " + vocab + ")");
      }
      ids[i] = v.intValue();
    }
    return ids;
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
