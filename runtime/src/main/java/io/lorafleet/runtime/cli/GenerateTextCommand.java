package io.lorafleet.runtime.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.tokenizer.ChatMessage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code lorafleet generate}: a file of requests, all batched together, one JSON line out per request in
 * input order; or one prompt, streamed as text.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate text for a JSONL file of requests (batched together) or for one prompt.")
final class GenerateTextCommand implements Callable<Integer> {
  private static final ObjectMapper STRICT = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .build();

  @Spec
  CommandSpec spec;

  @Option(names = "--model", description = "HF model directory (default: the bundled demo model, models/demo/lorafleet-demo)")
  Path model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  static final class Input {
    @Option(names = "--requests", description = "JSONL file, one request per line", required = true)
    Path requests;

    @Option(names = "--prompt", description = "a prompt to complete", required = true)
    String prompt;
  }

  @Option(names = "--adapter", description = "PEFT adapter directory for --prompt")
  Path adapter;

  @Option(names = "--max-new-tokens", defaultValue = "64", description = "for --prompt (default: ${DEFAULT-VALUE})")
  int maxNewTokens;

  @Option(names = "--temperature", defaultValue = "0", description = "for --prompt; 0 is greedy (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "for --prompt")
  int topK;

  @Option(names = "--top-p", defaultValue = "1", description = "for --prompt")
  double topP;

  @Option(names = "--seed", description = "for --prompt")
  Long seed;

  @Option(names = "--chat", description = "for --prompt: wrap it as a user message with the model's chat template")
  boolean chat;

  @ArgGroup(exclusive = true)
  Constraint constraint;

  /** An output constraint for --prompt, and for the --requests lines that give none of their own. */
  static final class Constraint {
    @Option(names = "--json-schema", paramLabel = "FILE", description = "the output is an instance of this JSON Schema")
    Path jsonSchema;

    @Option(names = "--regex", description = "the output matches this regular expression (whole)")
    String regex;

    @Option(names = "--json-object", description = "the output is a JSON object")
    boolean jsonObject;
  }

  @Mixin
  EngineOptions engineOptions;

  /** One input line of --requests. */
  record RequestLine(
      @JsonProperty("id") String id,
      @JsonProperty("prompt") String prompt,
      @JsonProperty("prompt_token_ids") int[] promptTokenIds,
      @JsonProperty("adapter") String adapter,
      @JsonProperty("max_new_tokens") Integer maxNewTokens,
      @JsonProperty("temperature") Double temperature,
      @JsonProperty("top_k") Integer topK,
      @JsonProperty("top_p") Double topP,
      @JsonProperty("repetition_penalty") Double repetitionPenalty,
      @JsonProperty("seed") Long seed,
      @JsonProperty("stop") List<String> stop,
      @JsonProperty("ignore_eos") Boolean ignoreEos,
      @JsonProperty("top_logprobs") Integer topLogprobs,
      @JsonProperty("response_format") JsonNode responseFormat,
      @JsonProperty("guided_json") JsonNode guidedJson,
      @JsonProperty("guided_regex") String guidedRegex,
      @JsonProperty("guided_choice") List<String> guidedChoice) {

    /** This line's own output constraint, or null. */
    OutputConstraint constraint() {
      List<OutputConstraint> given = new ArrayList<>();
      if (responseFormat != null && !responseFormat.isNull()) {
        OutputConstraint c = OutputConstraint.ofResponseFormat(responseFormat, "response_format");
        if (c != null) {
          given.add(c);
        }
      }
      if (guidedJson != null && !guidedJson.isNull()) {
        given.add(OutputConstraint.schemaField(guidedJson, "guided_json"));
      }
      if (guidedRegex != null) {
        given.add(OutputConstraint.regex(guidedRegex));
      }
      if (guidedChoice != null) {
        given.add(OutputConstraint.choice(guidedChoice));
      }
      if (given.size() > 1) {
        throw new io.lorafleet.runtime.errors.InvalidRequestException(
            "give one of \"response_format\", \"guided_json\", \"guided_regex\", \"guided_choice\"");
      }
      return given.isEmpty() ? null : given.getFirst();
    }
  }

  /** The constraint of --json-schema / --regex / --json-object, or null. */
  private OutputConstraint optionConstraint() {
    if (constraint == null) {
      return null;
    }
    if (constraint.jsonObject) {
      return OutputConstraint.jsonObject();
    }
    if (constraint.regex != null) {
      try {
        OutputConstraint c = OutputConstraint.regex(constraint.regex);
        io.lorafleet.runtime.constrain.ConstraintCompiler.shared().compile(c);
        return c;
      } catch (LoraFleetException e) {
        throw new CliInputException("--regex: " + e.getMessage());
      }
    }
    Path file = constraint.jsonSchema;
    if (!Files.isRegularFile(file)) {
      throw new CliInputException("--json-schema " + file + ": file not found");
    }
    try {
      OutputConstraint c = OutputConstraint.jsonSchema(Files.readString(file, StandardCharsets.UTF_8));
      io.lorafleet.runtime.constrain.ConstraintCompiler.shared().compile(c);
      return c;
    } catch (IOException e) {
      throw new CliInputException("--json-schema " + file + ": cannot read: " + e.getMessage());
    } catch (LoraFleetException e) {
      throw new CliInputException("--json-schema " + file + ": " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws IOException {
    Path modelDir = model != null ? model : LoraFleetCli.bundledModel();
    if (!Files.isDirectory(modelDir)) {
      throw new CliInputException("--model " + modelDir + ": directory not found");
    }
    OutputConstraint defaultConstraint = optionConstraint();
    if (input.requests != null) {
      List<RequestLine> lines = readRequests(input.requests);
      var config = engineOptions.engineConfig().withMaxWaiting(Math.max(lines.size(), 1));
      try (LoadedModel le = LoadedModel.open(modelDir, engineOptions.backend, engineOptions.backendConfig(), config)) {
        return runFile(le, lines, defaultConstraint);
      }
    }
    try (LoadedModel le = LoadedModel.open(modelDir, engineOptions.backend, engineOptions.backendConfig(),
        engineOptions.engineConfig())) {
      return runPrompt(le, defaultConstraint);
    }
  }

  private List<RequestLine> readRequests(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new CliInputException("--requests " + file + ": file not found");
    }
    List<RequestLine> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      RequestLine r;
      try {
        r = STRICT.readValue(line, RequestLine.class);
      } catch (JsonProcessingException e) {
        throw new CliInputException(file + " line " + (i + 1) + ": " + describe(e));
      }
      if ((r.prompt() == null) == (r.promptTokenIds() == null)) {
        throw new CliInputException(file + " line " + (i + 1) + ": give exactly one of \"prompt\" or \"prompt_token_ids\"");
      }
      out.add(r);
    }
    if (out.isEmpty()) {
      throw new CliInputException(file + ": no requests in the file");
    }
    return out;
  }

  private static String describe(JsonProcessingException e) {
    if (e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u) {
      return "unknown field \"" + u.getPropertyName() + "\"";
    }
    if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m && !m.getPath().isEmpty()) {
      String field = m.getPath().getLast().getFieldName();
      return "field \"" + field + "\" has the wrong type (" + m.getOriginalMessage().split("\n")[0] + ")";
    }
    return "not valid JSON: " + e.getOriginalMessage();
  }

  private int runFile(LoadedModel le, List<RequestLine> lines, OutputConstraint defaultConstraint) {
    Engine engine = le.engine();
    Map<String, LoraAdapter> adapters = new HashMap<>();
    Map<String, GenerationResult> results = new LinkedHashMap<>();
    Map<String, LoraFleetException> errors = new HashMap<>();
    List<String> ids = new ArrayList<>();
    GenerationListener listener = new GenerationListener() {
      @Override
      public void onToken(String requestId, TokenOutput token) {}

      @Override
      public void onFinish(GenerationResult result) {
        results.put(result.requestId(), result);
      }

      @Override
      public void onError(String requestId, LoraFleetException error) {
        errors.put(requestId, error);
      }
    };
    for (int i = 0; i < lines.size(); i++) {
      RequestLine r = lines.get(i);
      String id = r.id() != null ? r.id() : "line-" + (i + 1);
      String where = input.requests + " request " + id;
      try {
        LoraAdapter adapter = null;
        if (r.adapter() != null) {
          adapter = adapters.computeIfAbsent(r.adapter(),
              a -> le.loadAdapter(Path.of(a).getFileName().toString(), Path.of(a), 0));
        }
        int[] prompt = r.promptTokenIds() != null ? r.promptTokenIds() : le.tokenizer().encode(r.prompt(), true);
        SamplingParams params = SamplingParams.builder()
            .maxNewTokens(r.maxNewTokens() != null ? r.maxNewTokens() : 16)
            .temperature(r.temperature() != null ? r.temperature() : 0)
            .topK(r.topK() != null ? r.topK() : 0)
            .topP(r.topP() != null ? r.topP() : 1)
            .repetitionPenalty(r.repetitionPenalty() != null ? r.repetitionPenalty() : 1)
            .seed(r.seed())
            .stop(r.stop() != null ? r.stop() : List.of())
            .ignoreEos(Boolean.TRUE.equals(r.ignoreEos()))
            .topLogprobs(r.topLogprobs() != null ? r.topLogprobs() : 0)
            .constraint(r.constraint() != null ? r.constraint() : defaultConstraint)
            .build();
        engine.submit(new GenerateRequest(id, prompt, adapter, params), listener);
        ids.add(id);
      } catch (LoraFleetException e) {
        throw new CliInputException(where + ": " + e.getMessage());
      }
    }
    engine.runUntilIdle();
    PrintWriter out = spec.commandLine().getOut();
    ObjectMapper json = new ObjectMapper();
    int failed = 0;
    for (String id : ids) {
      GenerationResult g = results.get(id);
      ObjectNode line = json.createObjectNode();
      if (g == null) {
        // Failed after it was accepted: said on its line, and in the exit code.
        LoraFleetException e = errors.get(id);
        line.put("id", id);
        line.put("error", e == null ? "no result" : e.getMessage());
        line.put("error_type", e == null ? "internal_error" : e.errorType());
        out.println(line.toString());
        failed++;
        continue;
      }
      line.put("id", id);
      line.set("prompt_token_ids", json.valueToTree(g.promptTokenIds()));
      line.set("token_ids", json.valueToTree(g.tokenIds()));
      line.put("text", g.text());
      var lps = line.putArray("logprobs");
      for (float lp : g.logprobs()) {
        lps.add(lp);
      }
      line.put("finish_reason", g.finishReason().wireName());
      out.println(line.toString());
    }
    out.flush();
    return failed == 0 ? 0 : LoraFleetCli.EXIT_FAILED_REQUESTS;
  }

  private int runPrompt(LoadedModel le, OutputConstraint outputConstraint) {
    LoraAdapter a = adapter == null ? null : le.loadAdapter(adapter.getFileName().toString(), adapter, 0);
    String text = input.prompt;
    int[] prompt;
    if (chat) {
      var template = le.tokenizer().chatTemplate()
          .orElseThrow(() -> new CliInputException("--chat: the model has no chat template"));
      prompt = le.tokenizer().encode(template.render(List.of(new ChatMessage("user", text)), true), false);
    } else {
      prompt = le.tokenizer().encode(text, true);
    }
    SamplingParams params = SamplingParams.builder().maxNewTokens(maxNewTokens).temperature(temperature).topK(topK)
        .topP(topP).seed(seed).skipSpecialTokens(true).constraint(outputConstraint).build();
    PrintWriter out = spec.commandLine().getOut();
    GenerationResult[] result = new GenerationResult[1];
    LoraFleetException[] failure = new LoraFleetException[1];
    le.engine().submit(new GenerateRequest("prompt", prompt, a, params), new GenerationListener() {
      @Override
      public void onToken(String requestId, TokenOutput token) {
        out.print(token.text());
        out.flush();
      }

      @Override
      public void onFinish(GenerationResult r) {
        result[0] = r;
      }

      @Override
      public void onError(String requestId, LoraFleetException error) {
        failure[0] = error;
      }
    });
    le.engine().runUntilIdle();
    out.println();
    if (failure[0] != null) {
      throw failure[0];
    }
    GenerationResult r = result[0];
    double secs = (r.finishNanos() - r.arrivalNanos()) / 1e9;
    spec.commandLine().getErr().printf("[%d prompt tokens, %d generated, %s, %.2f s, %.1f tokens/s]%n", r.promptTokenIds().length,
        r.tokenIds().length, r.finishReason().wireName(), secs, r.tokenIds().length / secs);
    return 0;
  }
}
