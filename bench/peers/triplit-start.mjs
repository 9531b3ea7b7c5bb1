// Triplit 1.1.8 server for bench/peers.sh, bound to 127.0.0.1 (the stock createServer() binds every interface).
// Copied by bench/peers.sh into $PEERS/triplit, next to its node_modules. Environment: PORT, JWT_SECRET, PROJECT_ID,
// STORAGE=sqlite|memory, LOCAL_DATABASE_URL (the SQLite file), TRIPLIT_SYNCHRONOUS (empty: Triplit's own
// "PRAGMA synchronous = NORMAL"; FULL: fsync at every commit, as our server's SQLite does).
// Request logging goes to a null handler: Triplit logs every request at INFO by default, which would cost it time.
import { createTriplitHonoServer } from '@triplit/server/hono';
import { createTriplitStorageProvider } from '@triplit/server';
import { SQLiteKVStore } from '@triplit/db/storage/sqlite';
import { NullHandler } from '@triplit/logger/null';
import { createNodeWebSocket } from '@hono/node-ws';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createRequire } from 'node:module';

const port = Number(process.env.PORT || 6543);
let storage;
if ((process.env.STORAGE || 'sqlite') === 'sqlite' && process.env.TRIPLIT_SYNCHRONOUS) {
  const sqlite = createRequire(import.meta.url)('better-sqlite3');
  storage = new SQLiteKVStore(sqlite(process.env.LOCAL_DATABASE_URL),
    { pragma: `PRAGMA synchronous = ${process.env.TRIPLIT_SYNCHRONOUS};` });
} else {
  storage = await createTriplitStorageProvider(process.env.STORAGE || 'sqlite');
}
let app = new Hono();
const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app });
app = await createTriplitHonoServer({
  storage,
  jwtSecret: process.env.JWT_SECRET,
  projectId: process.env.PROJECT_ID,
  logHandler: new NullHandler(),
}, upgradeWebSocket, (e) => console.error(e), app);
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) =>
  console.log(`triplit listening on 127.0.0.1:${info.port}, storage ${process.env.STORAGE || 'sqlite'}`));
injectWebSocket(server);
process.on('SIGTERM', () => { server.close(); process.exit(0); });
