// Calls a LoraFleet node with the official openai package, unmodified: completions, chat, and both
// streamed; structured output (response_format json_schema and json_object). Prints one JSON line per check; OpenAiNodeClientTest asserts on them.
// With an API key (third argument) it also checks that a wrong key is refused with 401.
// Usage: node openai-client.mjs <baseURL ending in /v1> <adapter id> [API key]
import OpenAI from "openai";

const [baseURL, adapter, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: apiKey ?? "not-needed", maxRetries: 0, timeout: 60_000 });
const out = (kind, value) => console.log(JSON.stringify({ kind, ...value }));

const models = await client.models.list();
out("models", { ids: models.data.map((m) => m.id) });

const completion = await client.completions.create({
  model: adapter, prompt: "The quick brown fox", max_tokens: 8, temperature: 0, logprobs: 2,
});
out("completion", {
  object: completion.object, text: completion.choices[0].text,
  finish_reason: completion.choices[0].finish_reason, usage: completion.usage,
  tokens: completion.choices[0].logprobs.tokens.length,
});

const chat = await client.chat.completions.create({
  model: adapter, messages: [{ role: "user", content: "Say hello." }], max_tokens: 8, temperature: 0, seed: 7,
});
out("chat", {
  object: chat.object, role: chat.choices[0].message.role, content: chat.choices[0].message.content,
  finish_reason: chat.choices[0].finish_reason, usage: chat.usage,
});

let streamedChat = "";
let chatFinish = null;
let chatChunks = 0;
const chatStream = await client.chat.completions.create({
  model: adapter, messages: [{ role: "user", content: "Say hello." }], max_tokens: 8, temperature: 0, stream: true,
});
for await (const chunk of chatStream) {
  chatChunks++;
  streamedChat += chunk.choices[0]?.delta?.content ?? "";
  chatFinish = chunk.choices[0]?.finish_reason ?? chatFinish;
}
out("chat_stream", { content: streamedChat, finish_reason: chatFinish, chunks: chatChunks });

let streamedText = "";
let usage = null;
const textStream = await client.completions.create({
  model: adapter, prompt: "The quick brown fox", max_tokens: 8, temperature: 0, stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of textStream) {
  streamedText += chunk.choices[0]?.text ?? "";
  usage = chunk.usage ?? usage;
}
out("completion_stream", { text: streamedText, usage });

const person = await client.chat.completions.create({
  model: adapter, messages: [{ role: "user", content: "A person, as JSON." }], max_tokens: 200, temperature: 1,
  seed: 3,
  response_format: {
    type: "json_schema",
    json_schema: {
      name: "person", strict: true,
      schema: {
        type: "object", additionalProperties: false, required: ["name", "age"],
        properties: { name: { type: "string", maxLength: 10 }, age: { type: "integer", minimum: 0, maximum: 120 } },
      },
    },
  },
});
out("json_schema", { content: person.choices[0].message.content, finish_reason: person.choices[0].finish_reason });

const jsonMode = await client.chat.completions.create({
  model: adapter, messages: [{ role: "user", content: "Anything, as JSON." }], max_tokens: 400, temperature: 0.7,
  seed: 5, response_format: { type: "json_object" },
});
out("json_object", { content: jsonMode.choices[0].message.content, finish_reason: jsonMode.choices[0].finish_reason });

try {
  await client.chat.completions.create({
    model: adapter, messages: [{ role: "user", content: "x" }], max_tokens: 4,
    response_format: { type: "json_schema", json_schema: { name: "e", schema: { type: "string", format: "email" } } },
  });
  out("unsupported_schema", { status: null });
} catch (e) {
  out("unsupported_schema", { status: e.status, message: String(e.message) });
}

try {
  await client.completions.create({ model: "no-such-adapter", prompt: "x", max_tokens: 2 });
  out("error", { status: null });
} catch (e) {
  out("error", { status: e.status, message: String(e.message) });
}

if (apiKey) {
  const wrong = new OpenAI({ baseURL, apiKey: "lf-not-a-key-of-this-fleet", maxRetries: 0, timeout: 60_000 });
  try {
    await wrong.completions.create({ model: adapter, prompt: "x", max_tokens: 2 });
    out("unauthorized", { status: null });
  } catch (e) {
    out("unauthorized", { status: e.status, code: e.code ?? null, message: String(e.message) });
  }
}
