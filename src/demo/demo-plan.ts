/** The traffic the demo sends, and the figures it must produce. Deterministic, so that a failure can be reproduced. */

export interface PlannedRequest {
  sessionId: string | undefined;
  path: '/embeddings' | '/chat';
  body: unknown;
  /** Texts as the library counts them: an embeddings request its texts, a chat its messages. */
  texts: number;
  /** Total length of those texts (a chat's message contents). */
  characters: number;
  /** Whether the request carries a failure marker, so that the simulator fails it. */
  fails: boolean;
  /** What the simulator answers: 200, or the injected failure status. */
  upstreamStatus: number;
  /** What the app answers: 200, or the status it maps the injected failure to. */
  expectedStatus: number;
}

/**
 * Expected figures of one scope, known from the plan alone. Tokens and most costs are not: they
 * come from the chat answers' `usage` and the simulator's compute time.
 */
export interface ExpectedFigures {
  callCount: number;
  textCount: number;
  characterCount: number;
  errorCount: number;
  /** One HTTP attempt per call: the client does not retry (`retry_on_error: false`). */
  attemptCount: number;
  rateLimitedCount: number;
  /** Embeddings calls (the simulator reports no tokens for them) and failed chats (no answer, no usage). */
  tokensUnmeasuredCount: number;
  /**
   * Failed chats: priced per token, and they have none. Failed embeddings calls are priced, since
   * the simulator reports the compute time they used. Assumes a price rule for each model called.
   */
  unpricedCallCount: number;
}

/** Expected counters of one scope: attempts by upstream status, failed calls by type. */
export interface ExpectedCounters {
  statusCodes: Record<string, number>;
  errors: Record<string, number>;
}

export const DEMO_SESSIONS = ['alice', 'bob', 'carol', 'dave'] as const;

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Embeddings map sentences to points in a vector space.',
  'Similar sentences end up close to each other.',
  'NestJS organises an application into modules.',
  'Statistics are kept per session and globally.',
  'A cat sleeps on the warm windowsill.',
];

function sentence(seed: number): string {
  return SENTENCES[seed % SENTENCES.length];
}

/** Upstream status injected by the n-th failure, and what the app answers for it. */
function failureOf(n: number): { marker: string; upstreamStatus: number; status: number } {
  return n % 2 === 0
    ? { marker: '[fail:503]', upstreamStatus: 503, status: 503 }
    : { marker: '[fail:500]', upstreamStatus: 500, status: 502 };
}

function totalLength(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + text.length, 0);
}

/** `maxBatch` bounds the texts of an embeddings request, so that the sessions' figures differ. */
function plannedRequest(
  sessionId: string | undefined,
  seed: number,
  maxBatch: number,
  failure: number | undefined,
): PlannedRequest {
  const injected = failure === undefined ? undefined : failureOf(failure);
  const mark = (text: string) => (injected === undefined ? text : `${text} ${injected.marker}`);
  const common = {
    sessionId,
    fails: injected !== undefined,
    upstreamStatus: injected?.upstreamStatus ?? 200,
    expectedStatus: injected?.status ?? 200,
  };
  if (seed % 2 === 0) {
    const texts = Array.from({ length: 1 + (seed % maxBatch) }, (_, index) => sentence(seed + index));
    texts[texts.length - 1] = mark(texts[texts.length - 1]);
    // Half of the embeddings requests use the Inference API's `inputs` shape.
    const body = seed % 4 === 0 ? { inputs: texts } : { texts };
    return { ...common, path: '/embeddings', body, texts: texts.length, characters: totalLength(texts) };
  }
  const messages = [
    { role: 'system', content: 'You answer in one short paragraph.' },
    ...(seed % 3 === 0
      ? [
          { role: 'user', content: sentence(seed) },
          { role: 'assistant', content: 'Noted.' },
        ]
      : []),
    { role: 'user', content: mark(`Tell me something about this: ${sentence(seed + 1)}`) },
  ];
  return {
    ...common,
    path: '/chat',
    body: { messages, max_tokens: 64 },
    texts: messages.length,
    characters: totalLength(messages.map((message) => message.content)),
  };
}

/**
 * `perSession` requests for each demo session, the k-th session failing k of them: mixed embeddings
 * and chat. Plus a few chats without a session (one failing): their tokens and cost can be told
 * from the answers, so that the global figures can be checked against the sessions' and theirs.
 */
export function planDemoTraffic(perSession: number): PlannedRequest[] {
  const planned: PlannedRequest[] = [];
  let failures = 0;
  DEMO_SESSIONS.forEach((sessionId, k) => {
    for (let i = 0; i < perSession; i += 1) {
      // Spread the session's k failures over its requests.
      const fails = i % 3 === 2 && Math.floor(i / 3) < k;
      planned.push(plannedRequest(sessionId, i + k, k + 1, fails ? failures++ : undefined));
    }
  });
  for (let i = 0; i < 4; i += 1) {
    // Odd seeds plan chats.
    planned.push(plannedRequest(undefined, 2 * i + 1, 1, i === 3 ? failures++ : undefined));
  }
  return planned;
}

/** The figures `requests` must produce in the scope they were sent in. */
export function expectedFigures(requests: readonly PlannedRequest[]): ExpectedFigures {
  const failedChats = requests.filter((sent) => sent.fails && sent.path === '/chat').length;
  const embeddings = requests.filter((sent) => sent.path === '/embeddings').length;
  return {
    callCount: requests.length,
    textCount: requests.reduce((sum, sent) => sum + sent.texts, 0),
    characterCount: requests.reduce((sum, sent) => sum + sent.characters, 0),
    errorCount: requests.filter((sent) => sent.fails).length,
    attemptCount: requests.length,
    rateLimitedCount: 0,
    tokensUnmeasuredCount: embeddings + failedChats,
    unpricedCallCount: failedChats,
  };
}

/** The counters `requests` must produce in the scope they were sent in. */
export function expectedCounters(requests: readonly PlannedRequest[]): ExpectedCounters {
  const statusCodes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const { upstreamStatus, fails } of requests) {
    const status = String(upstreamStatus);
    statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    if (fails) {
      // The client's errors carry the upstream status, which the library counts them under.
      errors[status] = (errors[status] ?? 0) + 1;
    }
  }
  return { statusCodes, errors };
}
