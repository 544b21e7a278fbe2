// Example program for manifests/web.yaml: an HTTP server that logs one line per request.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const instance = process.env.TEND_INSTANCE ?? 'web';

const server = createServer((req, res) => {
  console.log(`${new Date().toISOString()} ${instance} ${req.method} ${req.url}`);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(req.url === '/healthz' ? 'ok\n' : `hello from ${instance}\n`);
});

server.listen(port, '127.0.0.1', () => console.log(`${instance} listening on http://127.0.0.1:${port}`));

// Finish open requests, then exit, when tend stops the instance.
process.on('SIGTERM', () => {
  console.log(`${instance} stopping`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
