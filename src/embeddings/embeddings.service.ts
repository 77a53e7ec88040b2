import { Inject, Injectable } from '@nestjs/common';
import { InferenceClientProviderOutputError, type FeatureExtractionOutput } from '@huggingface/inference';
import { TrackHFCall } from 'nestjs-hf-stats';
import { HF_CLIENT, type HfClient } from '../hf/hf-client.provider.js';

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'number');
}

/** One pooled vector per text, or an error: token-level output means the model is not a sentence encoder. */
function toVectors(output: FeatureExtractionOutput, count: number): number[][] {
  if (output.length === count && output.every(isVector)) {
    return output;
  }
  throw new InferenceClientProviderOutputError(
    `Expected ${count} sentence embedding(s) from feature-extraction; is HF_EMBEDDING_MODEL a sentence-transformers model?`,
  );
}

/** Sentence embeddings through the Hugging Face feature-extraction task. */
@Injectable()
export class EmbeddingsService {
  constructor(@Inject(HF_CLIENT) private readonly hf: HfClient) {}

  get model(): string {
    return this.hf.embeddingModel;
  }

  /** One embedding per text, in order. Rejects with the client's error when the call fails. */
  @TrackHFCall<[string[]]>({
    operation: 'feature-extraction',
    model(this: EmbeddingsService) {
      return this.model;
    },
    texts: (texts) => texts.length,
  })
  async embed(texts: string[]): Promise<number[][]> {
    const output = await this.hf.inference.featureExtraction(
      { model: this.hf.embeddingModel, provider: this.hf.embeddingProvider, inputs: texts },
      this.hf.callOptions(),
    );
    return toVectors(output, texts.length);
  }
}
