package io.lorafleet.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lorafleet generate} end to end on the fixtures, and its answers to bad input. */
class GenerateTextCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  record Run(int exit, String out, String err) {}

  static Run cli(String... args) {
    CommandLine cl = LoraFleetCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void repeatedPromptsGiveTheReferenceWithAndWithoutPrefixCaching() throws IOException {
    List<String> lines = new ArrayList<>();
    List<JsonNode> expected = new ArrayList<>();
    for (int rep = 0; rep < 2; rep++) {
      for (String adapter : new String[] {null, "adapter-qkvo-r16"}) {
        ObjectNode line = JSON.createObjectNode();
        line.put("id", "r" + lines.size());
        line.set("prompt_token_ids", Fixtures.prompt(2).get("token_ids"));
        line.put("adapter", adapter == null ? null : Fixtures.adapter(adapter).toString());
        line.put("max_new_tokens", 24);
        line.put("temperature", 0);
        line.put("ignore_eos", true);
        lines.add(line.toString());
        expected.add(Fixtures.generation(2, adapter));
      }
    }
    Path file = tmp.resolve("repeated.jsonl");
    Files.write(file, lines);
    // One sequence at a time, so that the repeats find the first ones' blocks.
    for (String flag : List.of("--prefix-caching", "--no-prefix-caching")) {
      Run r = cli("generate", "--model", Fixtures.model().toString(), "--requests", file.toString(), "--threads", "2",
          "--max-num-seqs", "1", flag);
      assertEquals(0, r.exit(), r.err());
      String[] out = r.out().strip().split("\n");
      assertEquals(expected.size(), out.length);
      for (int k = 0; k < out.length; k++) {
        assertEquals(expected.get(k).get("token_ids"), JSON.readTree(out[k]).get("token_ids"), flag + " request " + k);
      }
    }
  }

  @Test
  void allReferenceRequestsInOneFileComeBackInOrderAndExact() throws IOException {
    List<String> lines = new ArrayList<>();
    List<JsonNode> expected = new ArrayList<>();
    int i = 0;
    for (JsonNode g : Fixtures.reference().get("generations")) {
      JsonNode prompt = Fixtures.reference().get("prompts").get(g.get("prompt").asInt());
      ObjectNode line = JSON.createObjectNode();
      line.put("id", "r" + i++);
      if (prompt.get("add_special_tokens").asBoolean()) {
        line.put("prompt", prompt.get("text").asText());
      } else {
        line.set("prompt_token_ids", prompt.get("token_ids"));
      }
      if (g.get("adapter").isNull()) {
        line.putNull("adapter");
      } else {
        line.put("adapter", Fixtures.adapter(g.get("adapter").asText()).toString());
      }
      line.put("max_new_tokens", 24);
      line.put("temperature", 0);
      line.put("ignore_eos", true);
      lines.add(line.toString());
      expected.add(g);
    }
    Path file = tmp.resolve("requests.jsonl");
    Files.write(file, lines);
    Run r = cli("generate", "--model", Fixtures.model().toString(), "--requests", file.toString(), "--threads", "2");
    assertEquals(0, r.exit(), r.err());
    String[] out = r.out().strip().split("\n");
    assertEquals(expected.size(), out.length);
    for (int k = 0; k < out.length; k++) {
      JsonNode got = JSON.readTree(out[k]);
      JsonNode g = expected.get(k);
      assertEquals("r" + k, got.get("id").asText());
      assertEquals(Fixtures.reference().get("prompts").get(g.get("prompt").asInt()).get("token_ids"),
          got.get("prompt_token_ids"));
      assertEquals(g.get("token_ids"), got.get("token_ids"), "request r" + k);
      assertEquals(g.get("text").asText(), got.get("text").asText());
      assertEquals("length", got.get("finish_reason").asText());
      assertEquals(24, got.get("logprobs").size());
      assertEquals(g.get("logprobs").get(0).asDouble(), got.get("logprobs").get(0).asDouble(), 2e-3);
    }
  }

  @Test
  void singlePromptStreamsText() {
    Run r = cli("generate", "--model", Fixtures.model().toString(), "--prompt", "The quick brown fox",
        "--max-new-tokens", "8", "--adapter", Fixtures.adapter("adapter-qv-r8").toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.err().contains("8 generated"), r.err());
  }

  private Run generateWith(String... requestLines) throws IOException {
    Path file = tmp.resolve("bad.jsonl");
    Files.write(file, List.of(requestLines));
    return cli("generate", "--model", Fixtures.model().toString(), "--requests", file.toString());
  }

  @Test
  void badInputGetsOneClearMessageAndANonZeroExit() throws IOException {
    Run r = generateWith("{\"id\":\"a\",\"prompt\":\"hi\"}", "{\"id\":\"b\",\"prompt\":");
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, r.exit());
    assertTrue(r.err().contains("bad.jsonl line 2: not valid JSON"), r.err());

    r = generateWith("{\"id\":\"a\",\"prompt\":\"hi\",\"max_new_tokens\":\"5\"}");
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, r.exit());
    assertTrue(r.err().contains("line 1: field \"max_new_tokens\" has the wrong type"), r.err());

    r = generateWith("{\"id\":\"a\",\"prompt\":\"hi\",\"max_tokens\":5}");
    assertTrue(r.err().contains("line 1: unknown field \"max_tokens\""), r.err());

    r = generateWith("{\"id\":\"a\"}");
    assertTrue(r.err().contains("exactly one of \"prompt\" or \"prompt_token_ids\""), r.err());

    r = generateWith("{\"id\":\"a\",\"prompt\":\"hi\",\"adapter\":\"" + tmp.resolve("no-such-adapter") + "\"}");
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, r.exit());
    assertTrue(r.err().contains("request a: ") && r.err().contains("adapter directory not found"), r.err());

    r = generateWith("{\"id\":\"a\",\"prompt\":\"hi\",\"temperature\":-1}");
    assertTrue(r.err().contains("request a: temperature must be"), r.err());

    r = cli("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "x");
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, r.exit());
    assertTrue(r.err().contains("directory not found"), r.err());

    r = cli("generate", "--model", Fixtures.model().toString(), "--requests", tmp.resolve("missing.jsonl").toString());
    assertTrue(r.err().contains("missing.jsonl: file not found"), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void constrainedRequestsFromTheFileAndFromOptions() throws IOException {
    Path schema = tmp.resolve("person.json");
    Files.writeString(schema, """
        {"type":"object","properties":{"name":{"type":"string","maxLength":8},"ok":{"type":"boolean"}},
         "required":["name","ok"],"additionalProperties":false}""");
    Path file = tmp.resolve("constrained.jsonl");
    Files.write(file, List.of(
        "{\"id\":\"schema-default\",\"prompt\":\"Person:\",\"max_new_tokens\":120,\"temperature\":1,\"seed\":3}",
        "{\"id\":\"regex\",\"prompt\":\"Code:\",\"max_new_tokens\":20,\"temperature\":1,\"seed\":4,"
            + "\"guided_regex\":\"[A-Z]{3}-[0-9]{2}\"}",
        "{\"id\":\"json-mode\",\"prompt\":\"Obj:\",\"max_new_tokens\":400,\"seed\":5,"
            + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":"
            + "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":2,\"maxItems\":2}}}}",
        "{\"id\":\"free\",\"prompt\":\"The quick brown fox\",\"max_new_tokens\":8,"
            + "\"response_format\":{\"type\":\"text\"}}"));
    Run r = cli("generate", "--model", Fixtures.model().toString(), "--requests", file.toString(),
        "--json-schema", schema.toString());
    assertEquals(0, r.exit(), r.err());
    String[] out = r.out().strip().split("\n");
    JsonNode person = JSON.readTree(JSON.readTree(out[0]).get("text").asText());
    assertTrue(person.get("ok").isBoolean() && person.get("name").asText().length() <= 8, out[0]);
    assertEquals("eos", JSON.readTree(out[0]).get("finish_reason").asText());
    assertTrue(JSON.readTree(out[1]).get("text").asText().matches("[A-Z]{3}-[0-9]{2}"), out[1]);
    JsonNode pair = JSON.readTree(JSON.readTree(out[2]).get("text").asText());
    assertTrue(pair.isArray() && pair.size() == 2 && pair.get(0).isIntegralNumber(), out[2]);
    // A line that asks for text gets free text (the --json-schema default does not apply).
    assertEquals("length", JSON.readTree(out[3]).get("finish_reason").asText());

    Run p = cli("generate", "--model", Fixtures.model().toString(), "--prompt", "Answer:", "--regex", "(yes|no)!",
        "--temperature", "1", "--seed", "2");
    assertEquals(0, p.exit(), p.err());
    assertTrue(p.out().strip().matches("(yes|no)!"), p.out());
  }

  @Test
  void constraintsThatCannotBeHonouredAreClearErrors() throws IOException {
    Path schema = tmp.resolve("bad-schema.json");
    Files.writeString(schema, "{\"type\":\"string\",\"format\":\"uri\"}");
    Run r = cli("generate", "--model", Fixtures.model().toString(), "--prompt", "x", "--json-schema", schema.toString());
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, r.exit());
    assertTrue(r.err().contains("bad-schema.json") && r.err().contains("\"format\""), r.err());
    r = cli("generate", "--model", Fixtures.model().toString(), "--prompt", "x", "--regex", "a(?=b)");
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, r.exit());
    assertTrue(r.err().contains("--regex") && r.err().contains("lookaround"), r.err());
    r = generateWith("{\"id\":\"a\",\"prompt\":\"hi\",\"guided_json\":{\"type\":\"object\",\"patternProperties\":{}}}");
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, r.exit());
    assertTrue(r.err().contains("request a: ") && r.err().contains("\"patternProperties\""), r.err());
    r = generateWith("{\"id\":\"a\",\"prompt\":\"hi\",\"guided_regex\":\"a\",\"guided_choice\":[\"b\"]}");
    assertTrue(r.err().contains("give one of"), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }
}
