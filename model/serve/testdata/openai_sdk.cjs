// Drives kshot serve with the official OpenAI Node SDK (openai 6.x).
// Usage: node openai_sdk.cjs BASE_URL MODEL. Prints one JSON object with
// what the SDK got; exits 1 when the SDK throws where it should not.
const OpenAI = require("openai");

async function main() {
  const [baseURL, model] = process.argv.slice(2);
  const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
  const out = {};
  const list = await client.models.list();
  out.listed = list.data.map((m) => m.id);
  out.retrieved = (await client.models.retrieve(model)).id;
  const plain = await client.completions.create({ model, prompt: "The cat", max_tokens: 4, logprobs: 1 });
  out.text = plain.choices[0].text;
  out.tokenLogprobs = plain.choices[0].logprobs.token_logprobs.length;
  out.usage = plain.usage;
  const stream = await client.completions.create({
    model, prompt: "The cat", max_tokens: 4, stream: true, stream_options: { include_usage: true },
  });
  out.streamed = "";
  for await (const chunk of stream) {
    for (const c of chunk.choices) out.streamed += c.text;
    if (chunk.usage) out.streamUsage = chunk.usage;
  }
  const chat = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "The cat" }], max_tokens: 4, logprobs: true, top_logprobs: 1,
  });
  out.chatText = chat.choices[0].message.content;
  out.chatRole = chat.choices[0].message.role;
  out.chatLogprobs = chat.choices[0].logprobs.content.map((e) => [e.token, e.logprob, e.top_logprobs.length]);
  out.chatUsage = chat.usage;
  const chatStream = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "The cat" }], max_tokens: 4, stream: true, stream_options: { include_usage: true },
  });
  out.chatStreamed = "";
  for await (const chunk of chatStream) {
    for (const c of chunk.choices) if (c.delta.content) out.chatStreamed += c.delta.content;
    if (chunk.usage) out.chatStreamUsage = chunk.usage;
  }
  out.errors = {};
  const bad = {
    fiveStops: { model, prompt: "x", stop: ["a", "b", "c", "d", "e"] },
    logprobsBool: { model, prompt: "x", logprobs: true },
    fractionalMaxTokens: { model, prompt: "x", max_tokens: 1.5 },
    noModel: { prompt: "x" },
  };
  const badChat = {
    chatTopLogprobsAlone: { model, messages: [{ role: "user", content: "x" }], top_logprobs: 1 },
    chatNoModel: { messages: [{ role: "user", content: "x" }] },
    chatToolRole: { model, messages: [{ role: "tool", content: "x", tool_call_id: "1" }] },
  };
  for (const [name, body] of Object.entries(badChat)) {
    try {
      await client.chat.completions.create(body);
      out.errors[name] = "accepted";
    } catch (e) {
      out.errors[name] = { status: e.status, code: e.code === undefined ? "undefined" : e.code, type: e.type, message: e.message };
    }
  }
  for (const [name, body] of Object.entries(bad)) {
    try {
      await client.completions.create(body);
      out.errors[name] = "accepted";
    } catch (e) {
      out.errors[name] = { status: e.status, code: e.code === undefined ? "undefined" : e.code, type: e.type, message: e.message };
    }
  }
  try {
    await client.models.retrieve("gpt-4");
    out.missing = "found";
  } catch (e) {
    out.missing = { status: e.status, code: e.code };
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
