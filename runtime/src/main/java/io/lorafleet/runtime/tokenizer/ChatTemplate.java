package io.lorafleet.runtime.tokenizer;

import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A Hugging Face chat template (Jinja), rendered with Jinjava the way {@code
 * tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=...)} renders it with
 * jinja2 ({@code trim_blocks} and {@code lstrip_blocks} on, jinja2 operator precedence and whitespace
 * control, Python string methods, HF's {@code tojson}; see the package documentation for the known
 * differences). The template sees {@code messages} (a list of
 * {@code {role, content}} maps), {@code add_generation_prompt}, {@code tools} and {@code documents}
 * ({@code none}), the special-token strings of {@code tokenizer_config.json} ({@code bos_token}, {@code
 * eos_token}, {@code pad_token}, ...), and the functions {@code raise_exception(msg)} and {@code
 * strftime_now(format)}. Immutable and thread-safe.
 *
 * <p>The rendered prompt usually already contains the BOS token: encode it with {@code
 * addSpecialTokens=false}.
 */
public final class ChatTemplate {
  private final String source;
  private final TemplateSource prepared;
  private final String problem;
  private final Map<String, Object> variables;

  private ChatTemplate(String source, Map<String, Object> variables) {
    this.source = source;
    this.prepared = TemplateSource.prepare(source);
    this.variables = variables;
    List<String> unknownFilters =
        prepared.filters().stream().filter(f -> !JinjaEnvironment.hasFilter(f)).sorted().toList();
    this.problem = prepared.problem() != null ? prepared.problem()
        : unknownFilters.isEmpty() ? null : "unknown filter(s) " + String.join(", ", unknownFilters);
  }

  /**
   * A template with the given special-token variables.
   *
   * @param source the Jinja source, as in {@code tokenizer_config.json}'s {@code chat_template}
   * @param variables extra template variables, typically {@code bos_token}, {@code eos_token}, ...
   */
  public static ChatTemplate of(String source, Map<String, ?> variables) {
    Objects.requireNonNull(source, "source");
    return new ChatTemplate(source, Map.copyOf(variables));
  }

  /**
   * A problem found without rendering (unknown filter, unclosed comment), which {@link #render} would
   * report; empty does not prove the template renders.
   */
  public Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  /** The Jinja source as found in the model files. */
  public String source() {
    return source;
  }

  /**
   * Renders a conversation into a prompt.
   *
   * @param messages the conversation, oldest first
   * @param addGenerationPrompt whether to append the header that starts the assistant's turn
   * @return the prompt text
   * @throws ChatTemplateException if the template calls {@code raise_exception} (message = its argument)
   *     or cannot be rendered (syntax error, unknown function or filter, ...)
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, Map.of());
  }

  /**
   * Renders a conversation with additional template variables (e.g. {@code date_string}, {@code
   * enable_thinking}); they override the defaults of the same name.
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> extraVariables) {
    if (problem != null) {
      throw new ChatTemplateException("chat template cannot be rendered: " + problem, false);
    }
    Map<String, Object> context = new HashMap<>(variables);
    context.put("tools", null);
    context.put("documents", null);
    context.putAll(extraVariables);
    context.put("messages", asMaps(messages));
    context.put("add_generation_prompt", addGenerationPrompt);
    RenderResult result;
    try {
      result = JinjaEnvironment.JINJAVA.renderForResult(prepared.text(), context);
    } catch (RuntimeException e) {
      String raised = raisedMessage(e);
      throw raised != null ? new ChatTemplateException(raised, true)
          : new ChatTemplateException("chat template cannot be rendered: " + e.getMessage(), false);
    }
    for (TemplateError error : result.getErrors()) {
      String raised = raisedMessage(error.getException());
      if (raised != null) {
        throw new ChatTemplateException(raised, true);
      }
    }
    List<TemplateError> fatal = result.getErrors().stream()
        .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
    if (!fatal.isEmpty()) {
      throw new ChatTemplateException("chat template cannot be rendered: " + fatal.stream()
          .map(ChatTemplate::describe).collect(Collectors.joining("; ")), false);
    }
    return result.getOutput();
  }

  private static List<Map<String, Object>> asMaps(List<ChatMessage> messages) {
    List<Map<String, Object>> maps = new ArrayList<>(messages.size());
    for (ChatMessage message : messages) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("role", message.role());
      map.put("content", message.content());
      maps.add(map);
    }
    return maps;
  }

  private static String raisedMessage(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof TemplateFunctions.Raised raised) {
        return raised.getMessage();
      }
    }
    return null;
  }

  private static String describe(TemplateError error) {
    String where = error.getLineno() > 0 ? "line " + error.getLineno() + ": " : "";
    String field = error.getFieldName();
    String what = field == null || field.isBlank() ? "" : " (in '" + field + "')";
    return where + error.getMessage() + what;
  }

  @Override
  public String toString() {
    return "ChatTemplate[" + source.length() + " chars]";
  }
}
