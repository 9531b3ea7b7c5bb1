// Client side of bench/peers.sh and bench/curves.sh: loads the same rows into each server, times a change-feed
// catch-up from zero, and mints Triplit's token. Only Node's own modules (run with --experimental-websocket on
// Node 20 for Triplit's WebSocket).
//
//   node client.mjs token SECRET PROJECT_ID                 an HS256 Triplit "secret" token (admin: skips rules)
//   node client.mjs load PEER URL FROM TO [BATCH]           rows FROM..TO-1 (see row()), in batches
//   node client.mjs pull PEER URL EXPECTED [REPS] [PAGE]    REPS catch-ups from zero; prints a RESULT line
//
// PEER is datafn (POST /datafn/seed, /datafn/pull), triplit (POST /bulk-insert, WebSocket CONNECT_QUERY) or rxdb
// (POST /items/0/set, GET /items-sync/0/pull). TOKEN is read from the environment (Triplit; datafn with --auth jwt).
import { createHmac } from 'node:crypto';

const [cmd, ...args] = process.argv.slice(2);
const TOKEN = process.env.TOKEN || '';

/** The row numbered g, the same for every server (bench/run.sh's loader draws the same shape in SQL). */
function row(g) {
  const h = Math.imul(g, 2654435761) >>> 0;
  return {
    id: 'item:' + String(g).padStart(6, '0'),
    title: 'Item number ' + g,
    category: 'c' + (g % 10),
    priority: h % 100,
    done: ((h >>> 8) % 10) < 3,
  };
}

function token(secret, projectId) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64({
    'x-triplit-token-type': 'secret', 'x-triplit-project-id': projectId,
    iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 7 * 86400,
  });
  return body + '.' + createHmac('sha256', secret).update(body).digest('base64url');
}

async function post(url, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (TOKEN) headers.Authorization = 'Bearer ' + TOKEN;
  const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return text;
}

async function load(peer, url, from, to, batch) {
  const t0 = performance.now();
  for (let g = from; g < to; g += batch) {
    const rows = [];
    for (let i = g; i < Math.min(to, g + batch); i++) rows.push(row(i));
    if (peer === 'datafn') {
      const answer = await post(url + '/datafn/seed', { data: { items: rows } });
      if (!answer.includes('"ok":true')) throw new Error('seed: ' + answer.slice(0, 300));
    } else if (peer === 'triplit') {
      await post(url + '/bulk-insert?noReturn=true', { items: rows });
    } else if (peer === 'rxdb') {
      await post(url + '/items/0/set', rows);
    } else throw new Error('unknown peer ' + peer);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`loaded ${to - from} rows into ${peer} in ${secs.toFixed(1)} s (${Math.round((to - from) / secs)} rows/s)`);
}

/** One catch-up from zero; returns the number of changes received. */
async function catchUp(peer, url, page) {
  if (peer === 'datafn') {
    let cursor = '0', n = 0;
    for (;;) {
      const a = JSON.parse(await post(url + '/datafn/pull', { clientId: 'bench', cursors: { items: cursor }, limit: page }));
      const r = a.result ?? a;
      n += (r.records?.items?.length ?? 0) + (r.deleted?.items?.length ?? 0);
      cursor = r.cursors.items;
      if (!r.hasMore) return n;
    }
  }
  if (peer === 'rxdb') {
    let id = '', lwt = 0, n = 0;
    for (;;) {
      const r = await fetch(`${url}/items-sync/0/pull?lwt=${lwt}&id=${encodeURIComponent(id)}&limit=${page}`);
      if (r.status !== 200) throw new Error(`rxdb pull: HTTP ${r.status}`);
      const a = await r.json();
      n += a.documents.length;
      ({ id, lwt } = a.checkpoint);
      if (a.documents.length < page) return n;
    }
  }
  if (peer === 'triplit') {
    // The WebSocket sync protocol: READY (no schema hash sent, so no SCHEMA_REQUEST), then CONNECT_QUERY; the first
    // ENTITY_DATA for the query carries every entity it matches (SuperJSON: Maps as [id, entity] pairs).
    return await new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + '/?token=' + encodeURIComponent(TOKEN));
      const timer = setTimeout(() => { ws.close(); reject(new Error('triplit: no ENTITY_DATA within 120 s')); }, 120000);
      ws.onerror = (e) => { clearTimeout(timer); reject(new Error('triplit websocket: ' + (e.message || e.type))); };
      ws.onmessage = (m) => {
        const msg = JSON.parse(m.data);
        if (msg.type === 'READY') {
          ws.send(JSON.stringify({ type: 'CONNECT_QUERY', payload: { id: 'all', params: { collectionName: 'items' } } }));
        } else if (msg.type === 'ENTITY_DATA' && msg.payload.forQueries.includes('all')) {
          const sets = msg.payload.changes.json?.items?.sets;
          clearTimeout(timer);
          ws.close();
          resolve(Array.isArray(sets) ? sets.length : Object.keys(sets ?? {}).length);
        } else if (msg.type === 'ERROR' || msg.type === 'CLOSE') {
          clearTimeout(timer);
          ws.close();
          reject(new Error('triplit: ' + m.data.slice(0, 300)));
        }
      };
    });
  }
  throw new Error('unknown peer ' + peer);
}

async function pull(peer, url, expected, reps, page) {
  const times = [];
  let bad = 0, total = 0, first = null;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const n = await catchUp(peer, url, page);
    times.push(performance.now() - t0);
    total += n;
    if (n !== expected) { bad++; first ??= `received ${n} changes, expected ${expected}`; }
  }
  const secs = times.reduce((a, b) => a + b, 0) / 1000;
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
  // the RESULT line of bench/wrk-common.lua: rps = changes per second, requests = changes, latencies per catch-up
  console.log(`RESULT rps=${(total / secs).toFixed(1)} requests=${total} ok=${reps - bad} bad=${bad} sockerr=0 ` +
    `p50_ms=${pct(0.5).toFixed(2)} p90_ms=${pct(0.9).toFixed(2)} p99_ms=${pct(0.99).toFixed(2)} avg_ms=${(secs * 1000 / reps).toFixed(2)}`);
  if (first) console.log('FIRST_BAD ' + first);
}

if (cmd === 'token') console.log(token(args[0], args[1]));
else if (cmd === 'load') await load(args[0], args[1], Number(args[2]), Number(args[3]), Number(args[4] || 1000));
else if (cmd === 'pull') await pull(args[0], args[1], Number(args[2]), Number(args[3] || 3), Number(args[4] || 1000));
else { console.error('usage: client.mjs token|load|pull ...'); process.exit(2); }
