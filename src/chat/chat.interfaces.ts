/** Roles a client may send. Tool calls are out of scope for this example. */
export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

// A type, not an interface, so that it is assignable to the client's message type, which has an index signature.
export type ChatMessage = {
  role: ChatRole;
  content: string;
};

/** A validated `POST /chat` body. */
export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens: number | undefined;
}

/** What `POST /chat` answers. */
export interface ChatResponse {
  id: string;
  model: string;
  message: { role: 'assistant'; content: string };
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number };
}
