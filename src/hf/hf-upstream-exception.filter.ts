import { Catch, HttpStatus, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { InferenceClientError, InferenceClientProviderApiError } from '@huggingface/inference';

interface UpstreamFailure {
  status: HttpStatus;
  message: string;
  upstreamStatus?: number;
  requestId?: string;
}

/** The status answered for an upstream status: 503 and 429 are passed on, so that clients back off. */
function statusFor(upstreamStatus: number): HttpStatus {
  if (upstreamStatus === 503) {
    return HttpStatus.SERVICE_UNAVAILABLE;
  }
  if (upstreamStatus === 429) {
    return HttpStatus.TOO_MANY_REQUESTS;
  }
  return HttpStatus.BAD_GATEWAY;
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/**
 * The socket error code of a failed `fetch` (ECONNREFUSED, ENOTFOUND...), `''` when it has none, or
 * undefined when `error` is not a network failure: `fetch` rejects with a bare "fetch failed"
 * TypeError whose cause holds the reason.
 */
function networkFailureCode(error: unknown): string | undefined {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') {
    return undefined;
  }
  const cause: unknown = error.cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

function upstreamFailureOf(error: unknown): UpstreamFailure | undefined {
  if (error instanceof InferenceClientProviderApiError) {
    const { status, requestId } = error.httpResponse;
    return {
      status: statusFor(status),
      message: `The Hugging Face API answered ${status}.`,
      upstreamStatus: status,
      ...(requestId === '' ? {} : { requestId }),
    };
  }
  if (error instanceof InferenceClientError) {
    // Input and routing errors mean the app is misconfigured; output errors, a malformed answer.
    return { status: HttpStatus.BAD_GATEWAY, message: `The Hugging Face call failed (${error.name}).` };
  }
  if (isTimeout(error)) {
    return { status: HttpStatus.GATEWAY_TIMEOUT, message: 'The Hugging Face API did not answer in time.' };
  }
  const code = networkFailureCode(error);
  if (code !== undefined) {
    return {
      status: HttpStatus.BAD_GATEWAY,
      message: `The Hugging Face API could not be reached${code === '' ? '' : ` (${code})`}.`,
    };
  }
  return undefined;
}

/**
 * Answers failed Hugging Face calls with a gateway status and a JSON body a client can act on.
 * Logs only what it composes itself (statuses, request id): the client's errors carry the request
 * body (the user's texts) and headers, which must not reach the logs. Other errors go to Nest's
 * default handling.
 */
@Catch()
export class HfUpstreamExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('HfUpstream');

  override catch(exception: unknown, host: ArgumentsHost): void {
    // Through the adapter, as Nest's own filter does, so that Express and Fastify both work.
    const adapter = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
    const failure = host.getType() === 'http' ? upstreamFailureOf(exception) : undefined;
    if (failure === undefined || adapter === undefined) {
      super.catch(exception, host);
      return;
    }
    const { status, message, upstreamStatus, requestId } = failure;
    this.logger.warn(
      `Hugging Face call failed: ${message} Answered ${status}` +
        (requestId === undefined ? '.' : ` (upstream request id ${requestId}).`),
    );
    const response: unknown = host.switchToHttp().getResponse();
    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
      return;
    }
    const body = {
      statusCode: status,
      message,
      ...(upstreamStatus === undefined ? {} : { upstreamStatus }),
      ...(requestId === undefined ? {} : { requestId }),
    };
    adapter.reply(response, body, status);
  }
}
