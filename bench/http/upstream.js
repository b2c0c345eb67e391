'use strict';
// The upstream behind the gate in `make bench-http` (BENCH_UPSTREAM=node, the default): answers
// GET /api_v3/service/SERVICE/... with the fixed JSON body given for SERVICE, keep-alive, like a
// small API server. Prints "listening on PORT" once it accepts connections.
//   node bench/http/upstream.js SERVICE=FILE [SERVICE=FILE...]
const fs = require('node:fs');
const http = require('node:http');

const bodies = new Map();
for (const arg of process.argv.slice(2)) {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`upstream.js: expected SERVICE=FILE, got ${arg}`);
  bodies.set(arg.slice(0, eq).toLowerCase(), fs.readFileSync(arg.slice(eq + 1)));
}

const server = http.createServer((req, res) => {
  const m = /^\/api_v3\/service\/([^/?]+)\//.exec(req.url);
  const body = m && bodies.get(m[1].toLowerCase());
  req.resume();
  if (!body) {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 10 });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 75000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
