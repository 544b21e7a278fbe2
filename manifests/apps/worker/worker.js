// Example program for manifests/worker.yaml: a loop that prints a heartbeat.
const instance = process.env.TEND_INSTANCE ?? 'worker';
const intervalMs = Number(process.env.HEARTBEAT_INTERVAL_MS ?? 3000);
let beats = 0;

console.log(`${instance} started (pid ${process.pid})`);
const timer = setInterval(() => {
  beats += 1;
  console.log(`${new Date().toISOString()} ${instance} heartbeat ${beats}`);
}, intervalMs);

process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log(`${instance} stopping after ${beats} heartbeats`);
});
