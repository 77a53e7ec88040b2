// The loopback Hugging Face server of the real-path benchmark (bench/real-path.mjs), in a process of
// its own so that its CPU is not the subjects': answers every POST with one OpenAI-shaped chat
// completion and the compute headers Hugging Face sends. Sends { url } to its parent, then serves.
import { createServer } from 'node:http';

const BODY = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_764_547_200,
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Paris.' } }],
  usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
});
const HEADERS = {
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(BODY)),
  'x-compute-time': '0.012',
  'x-compute-characters': '40',
  'x-request-id': 'bench-request',
};

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, HEADERS);
    response.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ url: `http://127.0.0.1:${server.address().port}` }));
process.on('message', (message) => {
  if (message === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
