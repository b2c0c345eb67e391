'use strict';
// Sends N identical requests, one after the other, over one keep-alive connection, and fails if
// any answer is not 2xx or is a KalturaAPIException. The load of scripts/bench-callgrind.sh:
// what it measures is the server's instructions per request, so the pace does not matter.
//   node bench/callgrind/load.js URL N [METHOD] [BODY] [HEADER: value|HEADER: value]
const http = require('node:http');

const [url, countText, method = 'GET', body = '', headerText = ''] = process.argv.slice(2);
const count = Number(countText);
if (!url || !Number.isInteger(count) || count < 1) {
  console.error('usage: load.js URL N [METHOD] [BODY] [HEADERS]');
  process.exit(2);
}
const headers = {};
for (const line of headerText.split('|').filter(Boolean)) {
  const colon = line.indexOf(':');
  headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
}
if (body) headers['Content-Type'] = 'application/json';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function once() {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 300 || text.includes('KalturaAPIException')) {
          reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
        } else {
          resolve();
        }
      });
    });
    req.on('error', reject);
    req.end(body || undefined);
  });
}

(async () => {
  for (let i = 0; i < count; i++) await once();
  agent.destroy();
})().catch((e) => {
  console.error(`load.js: ${e.message}`);
  process.exit(1);
});
