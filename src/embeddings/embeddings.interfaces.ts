/** A validated `POST /embeddings` body. */
export interface EmbeddingsRequest {
  texts: string[];
}

/** What `POST /embeddings` answers: one vector per text, in the order sent. */
export interface EmbeddingsResponse {
  model: string;
  dimensions: number;
  embeddings: number[][];
}
