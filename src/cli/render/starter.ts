/** The files `tend init` writes, relative to the manifest directory. */

const HELLO_YAML = `# A Process: a program tend keeps running. Edit this file while \`tend up\` runs and the
# machine follows within milliseconds. Every field: docs/manifests.md.
apiVersion: tend/v1
kind: Process
metadata:
  name: hello                 # instances are hello-0, hello-1, ...
  labels: {app: hello}        # select with: tend get -l app=hello
spec:
  command: ["node", "server.cjs"]  # argv, no shell
  workingDir: ./apps/hello         # relative to this file
  env: {PORT: "8080"}
  replicas: 1                      # each replica gets TEND_REPLICA=0,1,... (add it to PORT for more)
  restartPolicy: Always            # Always | OnFailure | Never | UnlessStopped
  backoff: {initialDelay: 1s, maxDelay: 1m}
  probes:
    readiness:                     # Ready once /healthz answers 2xx
      http: {url: "http://127.0.0.1:8080/healthz"}
      period: 2s
  stop: {signal: SIGTERM, gracePeriod: 10s}
  resources:
    limits: {memory: 256Mi}
`;

const SERVER_JS = `// A tiny HTTP server for the starter manifest: / says hello, /healthz says it is ready.
const http = require('node:http');
const port = Number(process.env.PORT || 8080);
http
  .createServer((req, res) => {
    if (req.url === '/healthz') return res.end('ok\\n');
    res.end(\`hello from \${process.env.TEND_INSTANCE}\\n\`);
  })
  .listen(port, '127.0.0.1', () => console.log(\`listening on 127.0.0.1:\${port}\`));
process.on('SIGTERM', () => process.exit(0));
`;

/** File path → contents. */
export const STARTER_FILES: Readonly<Record<string, string>> = {
  'hello.yaml': HELLO_YAML,
  'apps/hello/server.cjs': SERVER_JS,
};
