// Helpers of scripts/bench-scale.sh (make bench-scale), all over plain node:http with no
// dependencies:
//
//   node client.js bodies WIDGET_KS TOKENS_FILE OUT_FILE
//       TOKENS_FILE has "id|token" lines; writes one appToken.startSession JSON body per line
//       (tokenHash = sha256(widgetKs + token), as a client computes it).
//   node client.js list URL ADMIN_KS SAMPLES CASES_FILE
//       CASES_FILE has "name|filter JSON|pager JSON[|add]" lines; for each, SAMPLES timed
//       appToken.list calls one after another on one keep-alive connection (after a tenth as
//       many untimed), checked to be lists; prints "name median_ms p90_ms total_count". With
//       "|add", an untimed appToken.add comes before each call: a change of the partner's
//       tokens, after which no deep page can start at a mark an earlier one left.
//   node client.js idle URL CONNECTIONS
//       opens CONNECTIONS keep-alive connections, each answering one system.ping, prints
//       "open N" and holds them until stdin closes.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');

function die(message) {
  process.stderr.write(`bench-scale client: ${message}\n`);
  process.exit(1);
}

function bodies(widgetKs, tokensFile, outFile) {
  const lines = fs.readFileSync(tokensFile, 'utf8').split('\n').filter(Boolean);
  const out = lines.map((line) => {
    const [id, token] = line.split('|');
    const tokenHash = crypto.createHash('sha256').update(widgetKs + token).digest('hex');
    return JSON.stringify({ks: widgetKs, id, tokenHash, format: 1});
  });
  fs.writeFileSync(outFile, out.join('\n') + '\n');
}

// One POST on `agent`; resolves with [elapsed ms, parsed body].
function post(agent, url, body) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)},
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        try {
          resolve([ms, JSON.parse(Buffer.concat(chunks).toString('utf8'))]);
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function list(base, adminKs, samples, casesFile) {
  const url = `${base}/api_v3/service/apptoken/action/list`;
  const addUrl = `${base}/api_v3/service/apptoken/action/add`;
  const agent = new http.Agent({keepAlive: true, maxSockets: 1});
  const cases = fs.readFileSync(casesFile, 'utf8').split('\n').filter(Boolean);
  for (const line of cases) {
    const [name, filter, pager, add] = line.split('|');
    const addBody = JSON.stringify({
      ks: adminKs,
      format: 1,
      appToken: {objectType: 'KalturaAppToken', description: 'bench-scale: a change'},
    });
    const body = JSON.stringify({
      ks: adminKs,
      format: 1,
      filter: {objectType: 'KalturaAppTokenFilter', ...JSON.parse(filter)},
      pager: {objectType: 'KalturaFilterPager', ...JSON.parse(pager)},
    });
    const times = [];
    let total = -1;
    const warmup = Math.max(1, Math.floor(samples / 10));
    for (let i = 0; i < warmup + samples; ++i) {
      if (add === 'add') {
        const [, added] = await post(agent, addUrl, addBody);
        if (added.objectType !== 'KalturaAppToken') {
          die(`${name}: appToken.add: ${JSON.stringify(added).slice(0, 300)}`);
        }
      }
      const [ms, answer] = await post(agent, url, body);
      if (answer.objectType !== 'KalturaAppTokenListResponse') {
        die(`${name}: not a list: ${JSON.stringify(answer).slice(0, 300)}`);
      }
      total = answer.totalCount;
      if (i >= warmup) times.push(ms);
    }
    times.sort((a, b) => a - b);
    console.log(`${name} ${quantile(times, 0.5).toFixed(3)} ${quantile(times, 0.9).toFixed(3)} ${total}`);
  }
  agent.destroy();
}

async function idle(base, count) {
  const url = `${base}/api_v3/service/system/action/ping?format=1`;
  // An agent per connection, each keeping its one socket open once its request is answered.
  const agents = Array.from({length: count}, () => new http.Agent({keepAlive: true, maxSockets: 1}));
  const one = (agent) => new Promise((resolve, reject) => {
    http.get(url, {agent}, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    }).on('error', reject);
  });
  for (let i = 0; i < count; i += 100) await Promise.all(agents.slice(i, i + 100).map(one));
  const open = agents.reduce((n, a) => n + Object.values(a.freeSockets).reduce((m, s) => m + s.length, 0), 0);
  console.log(`open ${open}`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    for (const a of agents) a.destroy();
    process.exit(0);
  });
}

const [command, ...args] = process.argv.slice(2);
if (command === 'bodies' && args.length === 3) {
  bodies(...args);
} else if (command === 'list' && args.length === 4) {
  list(args[0], args[1], Number(args[2]), args[3]).catch((e) => die(e.message));
} else if (command === 'idle' && args.length === 2) {
  idle(args[0], Number(args[1])).catch((e) => die(e.message));
} else {
  die('usage: client.js bodies WIDGET_KS TOKENS_FILE OUT | list URL ADMIN_KS SAMPLES CASES | idle URL N');
}
