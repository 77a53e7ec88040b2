import { InferenceClient, InferenceClientProviderApiError } from '@huggingface/inference';
import { afterEach, describe, expect, it } from 'vitest';
import { startHfSimulator, type HfSimulator } from './hf-simulator.js';
import { SIMULATED_PROVIDERS } from './simulated-router.js';

// Against the real @huggingface/inference client, so that the simulator stays what the client expects.

const OPTIONS = { retry_on_error: false } as const;

describe('startHfSimulator', () => {
  const started: HfSimulator[] = [];
  const start = async (...args: Parameters<typeof startHfSimulator>) => {
    const simulator = await startHfSimulator(...args);
    started.push(simulator);
    return simulator;
  };

  afterEach(async () => {
    await Promise.all(started.splice(0).map((simulator) => simulator.close()));
  });

  it('listens on 127.0.0.1 only, on a free port', async () => {
    const simulator = await start({ latencyMs: 0 });
    expect(simulator.url).toBe(`http://127.0.0.1:${simulator.port}`);
    expect(simulator.port).toBeGreaterThan(0);
    const health = await fetch(`${simulator.url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toEqual(expect.any(String));
  });

  it("answers as the router does: x-inference-provider per chat (named or auto-routed), hf-inference's compute type, the price table", async () => {
    const simulator = await start({ latencyMs: 0, tableModels: ['org/chat'] });
    const chat = (path: string) =>
      fetch(`${simulator.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'org/chat', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const named = await chat('/novita/v1/chat/completions');
    expect(named.headers.get('x-inference-provider')).toBe('novita');
    const auto = await chat('/v1/chat/completions');
    expect(['together', 'novita']).toContain(auto.headers.get('x-inference-provider'));
    expect((await chat('/v1/chat/completions')).headers.get('x-inference-provider')).toBe(
      auto.headers.get('x-inference-provider'),
    );
    const embed = await fetch(simulator.url, { method: 'POST', body: JSON.stringify({ inputs: 'a' }) });
    expect(embed.headers.get('x-inference-provider')).toBe('hf-inference');
    expect(embed.headers.get('x-compute-type')).toBe('cpu');
    const table = (await (await fetch(`${simulator.url}/v1/models`)).json()) as {
      data: Array<{ id: string; providers: Array<{ provider: string; pricing: { input: number; output: number } }> }>;
    };
    expect(table.data.map((model) => model.id)).toEqual(['org/chat']);
    expect(table.data[0].providers.map((provider) => provider.provider).toSorted()).toEqual(['novita', 'together']);
  });

  it('answers featureExtraction with deterministic 384-dimension unit vectors, one per input', async () => {
    const simulator = await start({ latencyMs: 0 });
    const client = new InferenceClient(undefined, { endpointUrl: simulator.url });

    const batch = (await client.featureExtraction({ inputs: ['a cat', 'a dog', 'a cat'] }, OPTIONS)) as number[][];
    expect(batch).toHaveLength(3);
    expect(batch.every((vector) => vector.length === 384)).toBe(true);
    expect(batch[2]).toEqual(batch[0]);
    expect(batch[1]).not.toEqual(batch[0]);
    const norm = Math.hypot(...batch[0]);
    expect(norm).toBeCloseTo(1, 3);

    // A single string gets a single vector, as from the Inference API.
    const single = await client.featureExtraction({ inputs: 'a cat' }, OPTIONS);
    expect(single).toEqual(batch[0]);
    expect(simulator.requestCount).toBe(2);
  });

  it('answers TEI /embed with a batch even for one string', async () => {
    const simulator = await start({ latencyMs: 0, dimensions: 8 });
    const response = await fetch(`${simulator.url}/embed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: 'hello' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as number[][];
    expect(body).toHaveLength(1);
    expect(body[0]).toHaveLength(8);
  });

  it('answers chatCompletion with a usage object and the request and compute-time headers', async () => {
    const simulator = await start({ latencyMs: 5 });
    const client = new InferenceClient(undefined, { endpointUrl: simulator.url });
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Three words here' },
    ];

    const output = await client.chatCompletion({ model: 'some/model', messages }, OPTIONS);
    expect(output.model).toBe('some/model');
    expect(output.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant' } });
    expect(output.choices[0].message.content).toContain('3 words');
    expect(output.usage.total_tokens).toBe(output.usage.prompt_tokens + output.usage.completion_tokens);

    const raw = await fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages, max_tokens: 4 }),
    });
    expect(raw.headers.get('x-request-id')).toEqual(expect.any(String));
    // The latency of the provider that served it: the base latency times that provider's factor.
    const served = SIMULATED_PROVIDERS.find((provider) => provider.name === raw.headers.get('x-inference-provider'));
    expect(Number(raw.headers.get('x-compute-time'))).toBeCloseTo(Math.round(5 * served!.latencyFactor) / 1000, 3);
    const cut = (await raw.json()) as {
      choices: Array<{ finish_reason: string }>;
      usage: { completion_tokens: number };
    };
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.usage.completion_tokens).toBeLessThanOrEqual(4);
  });

  it('streams the same completion as server-sent events', async () => {
    const simulator = await start({ latencyMs: 0 });
    const client = new InferenceClient(undefined, { endpointUrl: simulator.url });
    const input = { model: 'some/model', messages: [{ role: 'user', content: 'Stream this, please' }] };

    const whole = await client.chatCompletion(input, OPTIONS);
    let streamed = '';
    let finishReason: string | undefined;
    for await (const chunk of client.chatCompletionStream(input, OPTIONS)) {
      streamed += chunk.choices[0]?.delta.content ?? '';
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    }
    expect(streamed).toBe(whole.choices[0].message.content);
    expect(finishReason).toBe('stop');
  });

  it.each([503, 500, 429])('fails with the status of a [fail:%i] marker, with a JSON error', async (status) => {
    const simulator = await start({ latencyMs: 0 });
    const client = new InferenceClient(undefined, { endpointUrl: simulator.url });

    const error: unknown = await client
      .featureExtraction({ inputs: ['fine', `not fine [fail:${status}]`] }, OPTIONS)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InferenceClientProviderApiError);
    expect((error as InferenceClientProviderApiError).httpResponse).toMatchObject({
      status,
      body: { error: `Simulated failure (${status})` },
      requestId: expect.any(String),
    });
    await expect(
      client.chatCompletion({ messages: [{ role: 'user', content: `[fail:${status}]` }] }, OPTIONS),
    ).rejects.toBeInstanceOf(InferenceClientProviderApiError);
    // retry_on_error: false, so one request each.
    expect(simulator.requestCount).toBe(2);
  });

  it('fails every request with 503 at failureRate 1', async () => {
    const simulator = await start({ latencyMs: 0, failureRate: 1 });
    const client = new InferenceClient(undefined, { endpointUrl: simulator.url });
    await expect(client.featureExtraction({ inputs: 'x' }, OPTIONS)).rejects.toMatchObject({
      httpResponse: { status: 503 },
    });
  });

  it('answers malformed requests with 4xx and a JSON error', async () => {
    const simulator = await start({ latencyMs: 0 });
    const post = (path: string, body: string) =>
      fetch(`${simulator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    const notJson = await post('/', '{"inputs": [');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: expect.any(String) });
    expect((await post('/', JSON.stringify({ inputs: [1, 2] }))).status).toBe(422);
    expect((await post('/v1/chat/completions', JSON.stringify({ messages: [] }))).status).toBe(422);
    expect((await post('/nowhere', '{}')).status).toBe(404);
    expect((await fetch(`${simulator.url}/v1/chat/completions`)).status).toBe(405);
    const tooLarge = await post('/', JSON.stringify({ inputs: 'x'.repeat(2 * 1024 * 1024) }));
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: expect.any(String) });
    expect(simulator.requestCount).toBe(6);
  });

  it('rejects invalid options, naming them', async () => {
    await expect(startHfSimulator({ latencyMs: [60, 20] })).rejects.toThrow(/"latencyMs"/);
    await expect(startHfSimulator({ failureRate: 2 })).rejects.toThrow(/"failureRate"/);
    await expect(startHfSimulator({ port: -1 })).rejects.toThrow(/"port"/);
  });

  it('closes at once, even with a request waiting out its latency, and only once', async () => {
    const simulator = await startHfSimulator({ latencyMs: 10_000 });
    const pending = fetch(simulator.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: 'slow' }),
    }).catch((error: unknown) => error);
    // Let the request reach the server before closing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const startedAt = performance.now();
    await Promise.all([simulator.close(), simulator.close()]);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(`${simulator.url}/health`)).rejects.toThrow('fetch failed');
  });
});
