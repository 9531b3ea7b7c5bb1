// RxDB Server 15.22 for bench/peers.sh on 127.0.0.1: one collection "items" (id, title, category, priority, done;
// an index on [category, priority]) in RxDB's memory storage (the open-source edition's only practical storage:
// its persistent SQLite storage is a premium plugin), with a REST endpoint (/items/0/query, /items/0/set) and a
// replication endpoint (/items-sync/0/pull). Copied into $PEERS/rxdb, next to its node_modules. Environment: PORT.
import { createRxDatabase } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createRxServer } from 'rxdb-server/plugins/server';
import { RxServerAdapterExpress } from 'rxdb-server/plugins/adapter-express';

const port = Number(process.env.PORT || 8090);
const db = await createRxDatabase({ name: 'bench', storage: getRxStorageMemory(), multiInstance: false });
await db.addCollections({
  items: {
    schema: {
      version: 0,
      primaryKey: 'id',
      type: 'object',
      properties: {
        id: { type: 'string', maxLength: 100 },
        title: { type: 'string' },
        category: { type: 'string', maxLength: 20 },
        priority: { type: 'number', minimum: 0, maximum: 1000, multipleOf: 1 },
        done: { type: 'boolean' },
      },
      required: ['id', 'title', 'category', 'priority', 'done'],
      indexes: [['category', 'priority']],
    },
  },
});
const server = await createRxServer({ database: db, adapter: RxServerAdapterExpress, port, hostname: '127.0.0.1' });
server.addRestEndpoint({ name: 'items', collection: db.items });
server.addReplicationEndpoint({ name: 'items-sync', collection: db.items });
await server.start();
console.log(`rxdb listening on 127.0.0.1:${port}, memory storage`);
process.on('SIGTERM', () => process.exit(0));
