package io.lorafleet.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Chat templates rendered by Jinjava against the outputs of Python jinja2 configured as HF's
 * apply_chat_template (chat_template_cases.json, made by make_chat_template_cases.py next to it).
 */
class ChatTemplateTest {
  private static final List<ChatMessage> CONVERSATION =
      List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"));

  @TestFactory
  Stream<DynamicTest> rendersLikeHfJinja2() throws IOException {
    JsonNode root;
    try (InputStream in = ChatTemplateTest.class.getResourceAsStream("chat_template_cases.json")) {
      root = new ObjectMapper().readTree(in);
    }
    Map<String, Object> variables = new ObjectMapper().convertValue(root.get("variables"), new TypeReference<>() {});
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      String templateName = c.get("template").asText();
      String messagesName = c.get("messages").asText();
      boolean agp = c.get("add_generation_prompt").asBoolean();
      ChatTemplate template = ChatTemplate.of(root.get("templates").get(templateName).asText(), variables);
      List<ChatMessage> messages = new ArrayList<>();
      root.get("messages").get(messagesName)
          .forEach(m -> messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText())));
      tests.add(DynamicTest.dynamicTest(templateName + " / " + messagesName + " / agp=" + agp, () -> {
        if (c.has("expected")) {
          assertEquals(c.get("expected").asText(), template.render(messages, agp));
        } else {
          var e = assertThrows(ChatTemplateException.class, () -> template.render(messages, agp));
          assertEquals(c.get("expected_error").asText(), e.getMessage());
          assertTrue(e.raisedByTemplate());
        }
      }));
    }
    return tests.stream();
  }

  @Test
  void raiseExceptionBecomesChatTemplateExceptionWithTheTemplatesMessage() {
    ChatTemplate template = ChatTemplate.of(
        "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}"
            + "{% endif %}{{ m.content }}{% endfor %}", Map.of());
    var e = assertThrows(ChatTemplateException.class, () -> template.render(CONVERSATION, true));
    assertEquals("System role not supported", e.getMessage());
    assertTrue(e.raisedByTemplate());
    assertEquals("Hi", template.render(List.of(new ChatMessage("user", "Hi")), true));
  }

  @Test
  void brokenTemplateFailsWithAClearMessage() {
    for (String broken : List.of("{% for m in messages %}{{ m.content }}", "{{ messages[0].content | no_such_filter }}",
        "{{ no_such_function(1) }}", "{% if %}x{% endif %}", "{# unclosed comment",
        "{% for m in messages if m.role == 'user' %}{{ m.content }}{% endfor %}")) {
      var e = assertThrows(ChatTemplateException.class,
          () -> ChatTemplate.of(broken, Map.of()).render(CONVERSATION, false), broken);
      assertFalse(e.raisedByTemplate());
      assertTrue(e.getMessage().startsWith("chat template cannot be rendered: "), e.getMessage());
    }
  }

  @Test
  void templateSeesSpecialTokensAndExtraVariables() {
    ChatTemplate template = ChatTemplate.of("{{ bos_token }}{{ greeting }}{% for m in messages %}|{{ m['role'] }}:"
        + "{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}|assistant:{% endif %}{{ eos_token }}\n",
        Map.of("bos_token", "<s>", "eos_token", "</s>"));
    assertEquals("<s>|system:Be brief.|user:Hi|assistant:</s>", template.render(CONVERSATION, true));
    assertEquals("<s>hey|system:Be brief.|user:Hi</s>",
        template.render(CONVERSATION, false, Map.of("greeting", "hey")));
  }
}
