// The DataFn admin console. Plain browser JavaScript, no dependencies: everything goes through the server's own
// endpoints (openapi.json for the schema, status, query, mutation, pull, the WebSocket) with the admin token, so the
// console's writes are ordinary mutations recorded in the change log.
(() => {
  'use strict';
  const BASE = document.querySelector('meta[name="datafn-base"]').content;
  const $ = (id) => document.getElementById(id);
  const FEED_MAX = 200;
  const state = {
    token: sessionStorage.getItem('datafn.adminToken'),
    ns: sessionStorage.getItem('datafn.namespace') || 'datafn',
    resources: {},       // name -> {record, input} schemas from openapi.json
    counts: {},
    namespaces: [],
    current: null,       // resource name shown in the browser
    sort: null,          // {field, desc}
    offset: 0,
    limit: 25,
    total: 0,
    filters: {},
    seq: 0,              // the feed's cursor: the highest seq shown
    socket: null,
    wsRetry: null,
    editing: null,       // the record in the editor, null for a new one
    calls: 0, callMs: 0, changesSeen: 0,
  };

  // ------------------------------------------------------------------------------------------- API

  async function api(method, path, body) {
    const headers = { 'Authorization': 'Bearer ' + state.token, 'X-Datafn-Namespace': state.ns };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const t0 = performance.now();
    let res;
    try {
      res = await fetch(BASE + '/' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } finally {
      state.calls++;
      state.callMs += performance.now() - t0;
    }
    const json = await res.json().catch(() => null);
    if (!res.ok || !json || json.ok === false) {
      const e = json && json.error;
      const err = new Error(e ? `${e.code}: ${e.message}${e.details && e.details.path ? ' at ' + e.details.path : ''}` : `HTTP ${res.status}`);
      err.status = res.status;
      throw err;
    }
    return json.result;
  }

  // ------------------------------------------------------------------------------------------- sign in

  async function signIn(token, ns) {
    state.token = token;
    state.ns = ns || 'datafn';
    await loadNamespaces(); // 401 with a wrong token
    sessionStorage.setItem('datafn.adminToken', state.token);
    sessionStorage.setItem('datafn.namespace', state.ns);
    $('login').hidden = true;
    $('console').hidden = false;
    $('logout').hidden = false;
    await loadSchema();
    await switchNamespace(state.ns);
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    try {
      await signIn($('token').value, $('login-ns').value.trim());
    } catch (e) {
      $('login-error').textContent = e.status === 401 ? 'Wrong admin token' : e.message;
    }
  });

  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem('datafn.adminToken');
    location.reload();
  });

  // ------------------------------------------------------------------------------------------- schema, status, namespaces

  async function loadSchema() {
    const res = await fetch(BASE + '/openapi.json');
    const doc = await res.json();
    const schemas = doc.components.schemas;
    state.resources = {};
    for (const [name, component] of Object.entries(doc['x-datafn-resources'])) {
      state.resources[name] = { record: schemas[component], input: schemas[component + '.input'] };
    }
  }

  async function switchNamespace(ns) {
    state.ns = ns;
    sessionStorage.setItem('datafn.namespace', ns);
    $('ns-label').textContent = 'namespace: ' + ns;
    state.current = null;
    closeEditor();
    $('feed').textContent = '';
    await loadNamespaces();
    const counter = state.namespaces.find((n) => n.namespace === ns);
    state.seq = Math.max(0, (counter ? counter.seq : 0) - 10); // the last few changes, then live
    await Promise.all([loadStatus(), loadCounts()]);
    renderResources();
    const first = Object.keys(state.resources).find((r) => state.counts[r] > 0) || Object.keys(state.resources)[0];
    if (first) await openResource(first);
    await pullFeed();
    connect();
  }

  async function loadNamespaces() {
    const r = await api('GET', 'admin/namespaces');
    state.namespaces = r.namespaces;
    const list = $('namespaces');
    list.textContent = '';
    for (const n of r.namespaces) {
      const li = el('li', { 'data-ns': n.namespace, class: n.namespace === state.ns ? 'active' : '' },
        el('span', {}, n.namespace), el('span', { class: 'count' }, 'seq ' + n.seq));
      li.addEventListener('click', () => switchNamespace(n.namespace));
      list.append(li);
    }
    if (!r.namespaces.length) list.append(el('li', {}, el('span', { class: 'count' }, 'no writes yet')));
    renderMetrics();
  }

  $('ns-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ns = $('ns-input').value.trim();
    if (ns) switchNamespace(ns);
  });

  async function loadStatus() {
    const s = await api('GET', 'status');
    const dl = $('status');
    dl.textContent = '';
    const add = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, String(v)));
    add('schema', s.schemaHash.slice(0, 19) + '…');
    add('capabilities', s.capabilities.join(', '));
    for (const [k, v] of Object.entries(s.limits)) add(k, v);
    add('server time', new Date(s.serverTimeMs).toISOString().slice(0, 16).replace('T', ' '));
  }

  async function loadCounts() {
    const names = Object.keys(state.resources);
    const results = await api('POST', 'query', names.map((resource) => ({ resource, limit: 0, count: true })));
    names.forEach((n, i) => { state.counts[n] = results[i].count; });
    renderResources();
    renderMetrics();
  }

  function renderResources() {
    const list = $('resources');
    list.textContent = '';
    for (const name of Object.keys(state.resources)) {
      const li = el('li', { 'data-resource': name, class: name === state.current ? 'active' : '' },
        el('span', {}, name), el('span', { class: 'count' }, String(state.counts[name] ?? '…')));
      li.addEventListener('click', () => openResource(name));
      list.append(li);
    }
  }

  function renderMetrics() {
    const dl = $('metrics');
    dl.textContent = '';
    const add = (k, v) => dl.append(el('dt', {}, k), el('dd', { 'data-metric': k }, String(v)));
    const counter = state.namespaces.find((n) => n.namespace === state.ns);
    add('resources', Object.keys(state.resources).length);
    add('rows', Object.values(state.counts).reduce((a, b) => a + (b || 0), 0));
    add('namespaces', state.namespaces.length);
    add('seq', counter ? counter.seq : 0);
    add('live changes', state.changesSeen);
    add('console calls', state.calls);
    add('avg call ms', state.calls ? (state.callMs / state.calls).toFixed(1) : '-');
  }

  // ------------------------------------------------------------------------------------------- table browser

  function fields(resource) {
    const r = state.resources[resource].record;
    return Object.entries(r.properties).map(([name, s]) => ({ name, type: s['x-datafn-type'] || 'string', schema: s }));
  }

  async function openResource(name) {
    if (state.current !== name) {
      state.current = name;
      state.offset = 0;
      state.sort = null;
      state.filters = {};
      $('filter-value').value = '';
      $('filter-json').value = '';
      const select = $('filter-field');
      select.textContent = '';
      for (const f of fields(name)) select.append(el('option', { value: f.name }, f.name));
      closeEditor();
    }
    $('table-title').textContent = name;
    renderResources();
    await loadRows();
  }

  function dfqlPage() {
    const q = { resource: state.current, limit: state.limit, offset: state.offset, count: true };
    if (Object.keys(state.filters).length) q.filters = state.filters;
    if (state.sort) q.sort = [state.sort.field + (state.sort.desc ? ':desc' : ':asc')];
    return q;
  }

  async function loadRows() {
    if (!state.current) return;
    const q = dfqlPage();
    $('dfql').textContent = JSON.stringify(q, null, 2);
    $('table-error').textContent = '';
    let r;
    try {
      r = await api('POST', 'query', q);
    } catch (e) {
      $('table-error').textContent = e.message;
      return;
    }
    state.total = r.count;
    const cols = fields(state.current);
    const head = el('tr', {});
    for (const c of cols) {
      const arrow = state.sort && state.sort.field === c.name ? (state.sort.desc ? ' ▼' : ' ▲') : '';
      const th = el('th', { 'data-field': c.name }, c.name + arrow);
      th.addEventListener('click', () => toggleSort(c.name));
      head.append(th);
    }
    $('rows').tHead.replaceChildren(head);
    const body = $('rows').tBodies[0];
    body.textContent = '';
    for (const row of r.data) {
      const tr = el('tr', { 'data-id': row.id });
      for (const c of cols) tr.append(el('td', {}, display(row[c.name], c.type)));
      tr.addEventListener('click', () => openEditor(row));
      body.append(tr);
    }
    const from = r.data.length ? state.offset + 1 : 0;
    $('page-info').textContent = `${from}–${state.offset + r.data.length} of ${r.count}`;
    $('prev').disabled = state.offset === 0;
    $('next').disabled = state.offset + state.limit >= r.count;
  }

  function toggleSort(field) {
    const s = state.sort;
    state.sort = !s || s.field !== field ? { field, desc: false } : !s.desc ? { field, desc: true } : null;
    state.offset = 0;
    loadRows();
  }

  $('prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - state.limit); loadRows(); });
  $('next').addEventListener('click', () => { state.offset += state.limit; loadRows(); });
  $('page-size').addEventListener('change', () => { state.limit = Number($('page-size').value); state.offset = 0; loadRows(); });

  $('filter-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('table-error').textContent = '';
    const parts = [];
    const field = $('filter-field').value;
    const op = $('filter-op').value;
    const raw = $('filter-value').value;
    if (op === 'is_null' || op === 'is_not_null') {
      parts.push({ [field]: { [op]: true } });
    } else if (raw !== '') {
      const type = (fields(state.current).find((f) => f.name === field) || {}).type;
      parts.push({ [field]: { [op]: typed(raw, type) } });
    }
    const json = $('filter-json').value.trim();
    if (json) {
      try {
        parts.push(JSON.parse(json));
      } catch (e) {
        $('table-error').textContent = 'DFQL filters: ' + e.message;
        return;
      }
    }
    state.filters = parts.length === 0 ? {} : parts.length === 1 ? parts[0] : { $and: parts };
    state.offset = 0;
    loadRows();
  });

  $('filter-clear').addEventListener('click', () => {
    $('filter-value').value = '';
    $('filter-json').value = '';
    state.filters = {};
    state.offset = 0;
    loadRows();
  });

  // ------------------------------------------------------------------------------------------- record editor

  $('new-record').addEventListener('click', () => openEditor(null));
  $('close-editor').addEventListener('click', closeEditor);

  function openEditor(row) {
    if (!state.current) return;
    state.editing = row;
    $('editor').hidden = false;
    $('editor-error').textContent = '';
    $('delete').hidden = !row;
    $('editor-title').textContent = row ? `${state.current} ${row.id}` : `New ${state.current}`;
    const box = $('editor-fields');
    box.textContent = '';
    const writable = state.resources[state.current].input.properties;
    for (const f of fields(state.current)) {
      const canWrite = f.name in writable && !(row && f.name === 'id');
      if (!row && !canWrite) continue;
      const value = row ? row[f.name] : undefined;
      const input = editorInput(f, value);
      input.name = f.name;
      input.disabled = !canWrite;
      box.append(el('label', {}, el('span', {}, f.name + ' ', el('small', {}, f.type)), input));
    }
  }

  function editorInput(f, value) {
    const s = f.schema;
    if (s.enum) {
      const select = el('select', {});
      select.append(el('option', { value: '' }, ''));
      for (const v of s.enum) if (v !== null) select.append(el('option', { value: JSON.stringify(v) }, String(v)));
      select.value = value === undefined || value === null ? '' : JSON.stringify(value);
      return select;
    }
    if (f.type === 'boolean') {
      const box = el('input', { type: 'checkbox' });
      box.checked = value === true;
      return box;
    }
    if (f.type === 'object' || f.type === 'array' || f.type === 'json') {
      const t = el('textarea', { rows: 2 });
      t.value = value === undefined || value === null ? '' : JSON.stringify(value);
      return t;
    }
    const input = el('input', { type: f.type === 'number' ? 'number' : 'text', step: 'any' });
    input.value = value === undefined || value === null ? '' : f.type === 'date' ? new Date(value).toISOString() : String(value);
    return input;
  }

  function closeEditor() {
    state.editing = null;
    $('editor').hidden = true;
  }

  /** The record the editor holds: every filled field for an insert, the changed fields for a merge. */
  function editorRecord() {
    const rec = {};
    for (const input of $('editor-fields').querySelectorAll('input, select, textarea')) {
      if (input.disabled) continue;
      const f = fields(state.current).find((x) => x.name === input.name);
      let v;
      if (input.type === 'checkbox') v = input.checked;
      else if (input.tagName === 'SELECT') v = input.value === '' ? null : JSON.parse(input.value);
      else if (input.value === '') v = null;
      else if (input.tagName === 'TEXTAREA') v = JSON.parse(input.value);
      else v = typed(input.value, f.type);
      const old = state.editing ? state.editing[f.name] : undefined;
      if (state.editing ? JSON.stringify(old ?? null) !== JSON.stringify(v) : v !== null) rec[f.name] = v;
    }
    return rec;
  }

  $('editor-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('editor-error').textContent = '';
    try {
      const record = editorRecord();
      const m = state.editing
        ? { resource: state.current, operation: 'merge', id: state.editing.id, record }
        : { resource: state.current, operation: 'insert', record };
      const r = await api('POST', 'mutation', m);
      const id = r.affectedIds && r.affectedIds[0];
      const fresh = await api('POST', 'query', { resource: state.current, filters: { id }, limit: 1 });
      await Promise.all([loadRows(), loadCounts()]);
      if (fresh.data[0]) openEditor(fresh.data[0]);
    } catch (e) {
      $('editor-error').textContent = e.message;
    }
  });

  $('delete').addEventListener('click', async () => {
    if (!state.editing || !confirm(`Delete ${state.current} ${state.editing.id}?`)) return;
    try {
      await api('POST', 'mutation', { resource: state.current, operation: 'delete', id: state.editing.id });
      closeEditor();
      await Promise.all([loadRows(), loadCounts()]);
    } catch (e) {
      $('editor-error').textContent = e.message;
    }
  });

  // ------------------------------------------------------------------------------------------- live feed

  function connect() {
    if (state.socket) {
      state.socket.onclose = null;
      state.socket.close();
    }
    clearTimeout(state.wsRetry);
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + BASE + '/ws?adminToken='
      + encodeURIComponent(state.token) + '&namespace=' + encodeURIComponent(state.ns);
    const ws = new WebSocket(url);
    state.socket = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'hello' }));
      setWs(true);
      pullFeed();
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === 'cursor' && Number(msg.cursor) > state.seq) pullFeed();
    };
    ws.onclose = () => {
      setWs(false);
      state.wsRetry = setTimeout(connect, 1000);
    };
  }

  function setWs(live) {
    $('ws-state').textContent = live ? 'live' : 'offline';
    $('ws-state').classList.toggle('live', live);
  }

  let pulling = null;
  /** Reads the namespace's changes after the feed's cursor (the global pull form) and shows them, newest first. */
  function pullFeed() {
    if (pulling) return pulling.then(() => pullFeed());
    pulling = (async () => {
      const touched = new Set();
      for (;;) {
        const r = await api('POST', 'pull', { cursor: String(state.seq), limit: 100 });
        if (!r.ok) throw new Error(r.error ? r.error.message : 'pull failed');
        for (const c of r.changes) {
          addFeed(c);
          state.changesSeen++;
          touched.add(c.resource);
        }
        if (r.nextCursor !== null) state.seq = Number(r.nextCursor);
        if (r.changes.length < 100) break;
      }
      if (touched.size) {
        await Promise.all([loadCounts(), loadNamespaces(), touched.has(state.current) ? loadRows() : null]);
      }
    })().catch((e) => console.warn('feed:', e.message)).finally(() => { pulling = null; });
    return pulling;
  }

  function addFeed(c) {
    const summary = c.record && typeof c.record === 'object'
      ? Object.entries(c.record).filter(([k]) => k !== 'id').slice(0, 3).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')
      : '';
    const li = el('li', { 'data-seq': c.serverSeq, 'data-id': c.id, 'data-op': c.op },
      el('span', { class: 'seq' }, '#' + c.serverSeq + ' '),
      el('span', { class: 'op op-' + c.op }, c.op), ' ',
      el('b', {}, c.resource), ' ', el('code', {}, c.id), el('div', { class: 'seq' }, summary));
    $('feed').prepend(li);
    while ($('feed').children.length > FEED_MAX) $('feed').lastChild.remove();
  }

  // ------------------------------------------------------------------------------------------- helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== '' && v !== undefined) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  /** A value typed in a text box, as the field's type wants it on the wire. */
  function typed(raw, type) {
    if (type === 'number') return Number(raw);
    if (type === 'boolean') return raw === 'true';
    if (type === 'date') return /^\d+$/.test(raw) ? Number(raw) : raw;
    if (type === 'object' || type === 'array' || type === 'json') return JSON.parse(raw);
    return raw;
  }

  function display(v, type) {
    if (v === null || v === undefined) return '';
    if (type === 'date' && typeof v === 'number') return new Date(v).toISOString();
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }

  if (state.token) {
    $('token').value = state.token;
    $('login-ns').value = state.ns;
    signIn(state.token, state.ns).catch(() => { $('login').hidden = false; });
  }
})();
