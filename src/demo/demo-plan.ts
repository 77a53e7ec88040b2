/** The traffic the demo sends, and the figures it must produce. Deterministic, so that a failure can be reproduced. */

export interface PlannedRequest {
  sessionId: string | undefined;
  path: '/embeddings' | '/chat';
  body: unknown;
  /** Texts as the library counts them: an embeddings request its texts, a chat its messages. */
  texts: number;
  /** Whether the request carries a failure marker, so that the simulator fails it. */
  fails: boolean;
  /** What the app answers: 200, or the status it maps the injected failure to. */
  expectedStatus: number;
}

/** Expected figures of one scope. */
export interface ExpectedFigures {
  callCount: number;
  textCount: number;
  errorCount: number;
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
function failureOf(n: number): { marker: string; status: number } {
  return n % 2 === 0 ? { marker: '[fail:503]', status: 503 } : { marker: '[fail:500]', status: 502 };
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
  const common = { sessionId, fails: injected !== undefined, expectedStatus: injected?.status ?? 200 };
  if (seed % 2 === 0) {
    const texts = Array.from({ length: 1 + (seed % maxBatch) }, (_, index) => sentence(seed + index));
    texts[texts.length - 1] = mark(texts[texts.length - 1]);
    // Half of the embeddings requests use the Inference API's `inputs` shape.
    const body = seed % 4 === 0 ? { inputs: texts } : { texts };
    return { ...common, path: '/embeddings', body, texts: texts.length };
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
  return { ...common, path: '/chat', body: { messages, max_tokens: 64 }, texts: messages.length };
}

/**
 * `perSession` requests for each demo session, the k-th session failing k of them, plus a few
 * requests without a session (one failing): mixed embeddings and chat.
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
    planned.push(plannedRequest(undefined, i + 1, 3, i === 3 ? failures++ : undefined));
  }
  return planned;
}

/** The figures `requests` must produce in the scope they were sent in. */
export function expectedFigures(requests: readonly PlannedRequest[]): ExpectedFigures {
  return {
    callCount: requests.length,
    textCount: requests.reduce((sum, sent) => sum + sent.texts, 0),
    errorCount: requests.filter((sent) => sent.fails).length,
  };
}

/** The planned requests of one session, or without a session for `undefined`. */
export function inSession(requests: readonly PlannedRequest[], sessionId: string | undefined): PlannedRequest[] {
  return requests.filter((sent) => sent.sessionId === sessionId);
}
