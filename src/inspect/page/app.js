// deskhook inspector: the page. Plain script, no framework, no build step.
//
// Everything shown comes from callbacks, which anyone may send: it is put into the page as
// text (textContent), never as HTML. The per-run key comes from the URL fragment and goes
// with every API request in the X-Deskhook-Key header.
'use strict';

const KEY = new URLSearchParams(location.hash.slice(1)).get('key') || '';
const $ = (id) => document.getElementById(id);

const state = {
  info: null,
  rows: [],          // list rows, oldest first
  byId: new Map(),
  selected: null,    // id of the exchange shown in detail
  conversation: null, // session shown as a conversation
  skipped: 0         // rows that arrived too fast to be sent to the page
};

// ---------------------------------------------------------------------------------------------
// small helpers

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

// Replace an element's children, skipping the absent ones (null, undefined, false).
function put(parent, ...children) {
  parent.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
}

function clock(ms) {
  const d = new Date(ms);
  const p = (n, w) => String(n).padStart(w || 2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function ms(x) {
  return x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`;
}

async function api(path, options) {
  const opts = Object.assign({ cache: 'no-store' }, options || {});
  opts.headers = Object.assign({ 'X-Deskhook-Key': KEY }, opts.headers || {});
  return fetch(path, opts);
}

async function apiJson(path, options) {
  const resp = await api(path, options);
  let body = null;
  try { body = await resp.json(); } catch (_) { body = null; }
  if (!resp.ok) {
    const why = body && body.error ? body.error : `HTTP ${resp.status}`;
    const err = new Error(why);
    err.status = resp.status;
    throw err;
  }
  return body;
}

function fail(message) {
  const f = $('fail');
  f.textContent = message;
  f.hidden = false;
}

function setConn(s, text) {
  const c = $('conn');
  c.dataset.state = s;
  c.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// the event stream

async function connect() {
  setConn('connecting', 'connecting…');
  let retry = true;
  try {
    const resp = await api('/api/stream');
    if (!resp.ok) {
      const body = await resp.json().catch(() => ({}));
      fail(body.error || `the event stream answered HTTP ${resp.status}`);
      retry = resp.status >= 500;
      return;
    }
    setConn('live', 'live');
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        onBlock(block);
      }
    }
  } catch (_) {
    // the receiver stopped, or the network blinked: try again below
  } finally {
    if (retry) {
      setConn('down', 'reconnecting…');
      setTimeout(connect, 1000);
    } else {
      setConn('down', 'refused');
    }
  }
}

function onBlock(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    let v = c < 0 ? '' : line.slice(c + 1);
    if (v.startsWith(' ')) v = v.slice(1);
    if (field === 'event') event = v;
    else if (field === 'data') data.push(v);
  }
  if (!data.length) return;
  const payload = JSON.parse(data.join('\n'));
  if (event === 'snapshot') {
    state.skipped = 0;
    state.rows = [];
    state.byId = new Map();
    payload.forEach(hold);
    renderList();
  } else if (event === 'exchange') {
    hold(payload);
    queueRow(payload);
  } else if (event === 'skipped') {
    // More arrived than a page can list: the newest are sent, the others only counted.
    state.skipped += payload.count;
    updateCounts();
  }
}

function hold(row) {
  state.rows.push(row);
  state.byId.set(row.id, row);
  const keep = state.info ? state.info.keep : 1000;
  while (state.rows.length > keep) {
    const old = state.rows.shift();
    state.byId.delete(old.id);
    const tr = document.querySelector(`#rows tr[data-id="${old.id}"]`);
    if (tr) tr.remove();
  }
}

// New rows arrive one by one, possibly thousands a second: add them once per frame.
let pending = [];
function queueRow(row) {
  pending.push(row);
  if (pending.length === 1) requestAnimationFrame(flushRows);
}

function flushRows() {
  const rows = pending;
  pending = [];
  const f = filters();
  const body = $('rows');
  for (const row of rows) {
    if (!state.byId.has(row.id)) continue;
    noteChoices(row);
    if (matches(row, f)) body.prepend(rowElement(row));
  }
  updateCounts();
  if (state.conversation) renderConversation();
}

// ---------------------------------------------------------------------------------------------
// the list and its filters

function filters() {
  return {
    event: $('f-event').value,
    session: $('f-session').value.trim(),
    verdict: $('f-verdict').value,
    text: $('f-text').value.trim().toLowerCase()
  };
}

function matches(row, f) {
  if (f.event && (row.event || row.command || '?') !== f.event) return false;
  if (f.session && !(row.session || '').includes(f.session)) return false;
  if (f.verdict === '!accepted' && row.verdict === 'accepted') return false;
  if (f.verdict && f.verdict !== '!accepted' && row.verdict !== f.verdict) return false;
  if (f.text) {
    const hay = [row.event, row.command, row.session, row.verdict, row.reason, row.path,
      String(row.status), row.talk && row.talk.text, row.snippet].join('\n').toLowerCase();
    if (!hay.includes(f.text)) return false;
  }
  return true;
}

const seenEvents = new Set();
const seenSessions = new Set();

function noteChoices(row) {
  const ev = row.event || row.command || '?';
  if (!seenEvents.has(ev)) {
    seenEvents.add(ev);
    const sel = $('f-event');
    const opts = [...seenEvents].sort();
    const current = sel.value;
    put(sel, el('option', { value: '', text: 'all events' }),
      ...opts.map((o) => el('option', { value: o, text: o })));
    sel.value = current;
  }
  if (row.session && !seenSessions.has(row.session)) {
    const keep = state.info ? state.info.keep : 1000;
    if (seenSessions.size >= 2 * keep) {
      // Sessions come and go: keep only those of the rows held.
      seenSessions.clear();
      put($('sessions'));
      for (const r of state.rows) {
        if (r.session && !seenSessions.has(r.session)) {
          seenSessions.add(r.session);
          $('sessions').append(el('option', { value: r.session }));
        }
      }
      if (seenSessions.has(row.session)) return;
    }
    seenSessions.add(row.session);
    $('sessions').append(el('option', { value: row.session }));
  }
}

function verdictBadge(verdict) {
  return el('span', { class: `verdict v-${verdict}`, text: verdict });
}

function rowElement(row) {
  const session = row.session
    ? el('a', {
      href: '#', class: 'session', title: `${row.session}: show the conversation`, data: { session: row.session },
      text: row.session.length > 12 ? row.session.slice(0, 8) + '…' : row.session,
      onclick: (e) => { e.preventDefault(); e.stopPropagation(); showConversation(row.session); }
    })
    : el('span', { class: 'dim', text: '—' });
  const verdict = el('td', { class: 'verdict-cell' }, verdictBadge(row.verdict));
  if (row.reason) verdict.append(el('div', { class: 'reason', text: row.reason, title: row.reason }));
  const tr = el('tr', {
    data: { id: String(row.id), verdict: row.verdict },
    class: [row.id === state.selected ? 'selected' : '', row.history ? 'history' : ''].join(' ').trim() || null,
    title: row.history ? 'from the capture file (before this run)' : null,
    onclick: () => select(row.id)
  },
  el('td', { class: 'time', text: clock(row.at_ms), title: new Date(row.at_ms).toString() }),
  el('td', { class: 'provider', text: row.provider || '?' }),
  el('td', { class: 'event', text: row.event || row.command || `${row.method} ${row.path}` }),
  el('td', {}, session),
  verdict,
  el('td', { class: 'status', text: String(row.status) }),
  el('td', { class: 'latency', text: ms(row.latency_ms) }));
  return tr;
}

function shownRows() {
  const f = filters();
  return state.rows.filter((r) => matches(r, f));
}

function renderList() {
  state.rows.forEach(noteChoices);
  const rows = shownRows();
  const body = $('rows');
  put(body, ...rows.slice().reverse().map(rowElement));
  updateCounts();
  if (state.conversation) renderConversation();
}

function updateCounts() {
  const shown = $('rows').children.length;
  $('empty').hidden = state.rows.length > 0;
  const keep = state.info ? state.info.keep : '';
  const skipped = state.skipped
    ? ` · ${state.skipped} more arrived too fast to list (Download shown has what is listed; the capture has all)`
    : '';
  $('counts').textContent = `${shown} shown of ${state.rows.length} held (the last ${keep} are kept)${skipped}`;
}

// ---------------------------------------------------------------------------------------------
// the conversation view

function showConversation(session) {
  state.conversation = session;
  renderConversation();
}

function renderConversation() {
  const box = $('conversation');
  const session = state.conversation;
  const rows = state.rows.filter((r) => r.session === session);
  put(box, 
    el('div', { class: 'panel-head' },
      el('h2', { text: 'Conversation' }),
      el('code', { class: 'sid', text: session }),
      el('button', { type: 'button', text: 'filter the list', onclick: () => { $('f-session').value = session; renderList(); } }),
      el('button', { type: 'button', text: 'close', onclick: () => { state.conversation = null; box.hidden = true; } })),
    el('ol', { class: 'chat' }, ...rows.map((r) => {
      const talk = r.talk || { role: 'system', text: r.event || r.command || '?' };
      return el('li', {
        class: `say ${talk.role} ${r.verdict === 'accepted' ? '' : 'bad'}`,
        data: { id: String(r.id) },
        onclick: () => select(r.id)
      },
      el('div', { class: 'who' }, `${talk.role} · ${r.event || r.command || '?'} · ${clock(r.at_ms)}`,
        r.verdict === 'accepted' ? null : verdictBadge(r.verdict)),
      el('div', { class: 'text', text: talk.text || '(no text)' }));
    })));
  box.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// the detail of one exchange

async function select(id) {
  state.selected = id;
  for (const tr of document.querySelectorAll('#rows tr.selected')) tr.classList.remove('selected');
  const tr = document.querySelector(`#rows tr[data-id="${id}"]`);
  if (tr) tr.classList.add('selected');
  const box = $('detail');
  $('hint').hidden = true;
  box.hidden = false;
  put(box, el('p', { class: 'dim', text: 'loading…' }));
  try {
    const d = await apiJson(`/api/exchanges/${id}`);
    if (state.selected === id) renderDetail(d);
  } catch (e) {
    put(box, el('p', { class: 'error', text: e.message }));
  }
}

function section(title, id, ...content) {
  return el('section', { class: 'part', id }, el('h3', { text: title }), ...content);
}

function table(pairs, cls) {
  if (!pairs.length) return el('p', { class: 'dim', text: 'none' });
  return el('table', { class: `kv ${cls || ''}` },
    el('tbody', {}, ...pairs.map(([k, v]) => el('tr', {}, el('th', { text: k }), el('td', { text: v })))));
}

function violationList(list, bodyRoot, id) {
  if (!list.length) return null;
  return el('ul', { class: 'violations', id }, ...list.map((v) => el('li', { data: { path: v.path, kind: v.kind } },
    v.kind === 'pointer'
      ? el('a', { href: '#', class: 'path', text: v.path || '(the whole body)', onclick: (e) => { e.preventDefault(); reveal(bodyRoot, v.path); } })
      : el('code', { class: 'path', text: v.path }),
    ': expected ', el('span', { class: 'expected', text: v.expected }),
    ', got ', el('span', { class: 'got', text: v.got }))));
}

function renderDetail(d) {
  const box = $('detail');
  const body = bodyView(d.body, d.problems);
  const answerBody = bodyView({ json: d.answer.json, text: d.answer.json === null ? d.answer.text : null }, d.answer.problems);
  const head = el('div', { class: 'panel-head' },
    el('h2', { text: d.event || d.command || `${d.method} ${d.path}` }),
    verdictBadge(d.verdict),
    el('span', { class: 'dim', text: `HTTP ${d.status} · ${ms(d.latency_ms)} · ${clock(d.at_ms)} · from ${d.remote}` }),
    d.history ? el('span', { class: 'tag', text: 'from the capture' }) : null,
    d.session ? el('button', { type: 'button', text: 'conversation', onclick: () => showConversation(d.session) }) : null);
  const refusal = d.verdict === 'refused' || d.verdict === 'forward_failed'
    ? el('p', { class: 'refusal', id: 'refusal', text: `${d.verdict === 'refused' ? 'Refused' : 'Forward failed'} (HTTP ${d.status}): ${d.reason || ''}` })
    : null;
  const auth = section('Credential check', 'auth', authView(d.auth));
  const authFailed = d.auth.state === 'failed';
  put(box,
    head,
    el('p', { class: 'request-line' }, el('code', { text: `${d.method} ${d.path}${d.query ? '?' + d.query : ''}` })),
    refusal,
    authFailed ? auth : null,
    d.problems.length > 0 && d.verdict !== 'refused'
      ? section('Schema violations', 'problems', violationList(d.problems, body, 'problem-list'))
      : null,
    section('Body', 'body', foldButtons(body), body),
    section('Answer', 'answer', answerHead(d.answer), answerBody,
      violationList(d.answer.problems, answerBody, 'answer-problems')),
    section('Act on it', 'actions', actions(d)),
    el('div', { id: 'replay-result', hidden: true }),
    authFailed ? null : auth,
    section('Query parameters', 'params', table(d.params)),
    section('Headers', 'headers', table(d.headers)));
}

function answerHead(a) {
  const by = a.by === 'backend'
    ? `answered by the --forward-to backend${a.backend ? ' ' + a.backend : ''}`
    : a.by === 'deskhook' ? 'answered by deskhook' : 'answer (as captured)';
  return el('p', { class: 'answer-head' }, `${by}: HTTP `, el('b', { class: 'answer-status', text: String(a.status) }),
    a.problems.length ? el('span', { class: 'verdict v-invalid_answer', text: `${a.problems.length} violation(s)` }) : null);
}

// --- the credential check

function authView(a) {
  const wrap = el('div', { class: `auth auth-${a.state}` },
    el('p', { class: 'headline', text: a.headline }));
  const rows = [];
  if (a.expected) rows.push(['expected', a.expected]);
  if (a.came) rows.push(['came', a.came]);
  if (a.skew_s !== null && a.skew_s !== undefined) {
    const skew = a.skew_s === 0 ? 'none' : a.skew_s < 0 ? `${-a.skew_s} s behind (old)` : `${a.skew_s} s ahead (future)`;
    rows.push(['clock skew', `${skew}; allowed ±${a.tolerance_s} s (RequestTime ${a.request_time}, receiver ${a.server_time})`]);
  }
  if (rows.length) wrap.append(table(rows, 'auth-table'));
  if (a.steps.length) {
    wrap.append(el('ol', { class: 'steps' }, ...a.steps.map((s) => el('li', { class: `step ${s.result}` },
      el('span', { class: 'mark', text: s.result === 'ok' ? '✓' : s.result === 'failed' ? '✗' : '–' }),
      ` ${s.check}`, s.detail ? el('span', { class: 'dim', text: ` — ${s.detail}` }) : null))));
  }
  return wrap;
}

// --- the body, folded, with violations at their paths

function pointerPart(k) {
  return String(k).replace(/~/g, '~0').replace(/\//g, '~1');
}

function leafValue(v) {
  const type = v === null ? 'null' : typeof v;
  return el('span', { class: `val t-${type}`, text: JSON.stringify(v) });
}

function tree(v, path, label, last) {
  const key = label === null ? null : el('span', { class: 'key', text: typeof label === 'number' ? '' : JSON.stringify(label) + ': ' });
  const comma = last ? '' : ',';
  if (v !== null && typeof v === 'object') {
    const isArr = Array.isArray(v);
    const entries = isArr ? v.map((x, i) => [i, x]) : Object.entries(v);
    const [open, close] = isArr ? ['[', ']'] : ['{', '}'];
    const node = el('details', { open: true, class: 'node', data: { path } },
      el('summary', {}, key, open,
        el('span', { class: 'count', text: ` ${entries.length} ${isArr ? 'item' : 'key'}${entries.length === 1 ? '' : 's'} ` }),
        el('span', { class: 'closed-tail', text: `${close}${comma}` })));
    const kids = el('div', { class: 'kids' });
    entries.forEach(([k, x], i) => kids.append(tree(x, `${path}/${pointerPart(k)}`, isArr ? i : k, i === entries.length - 1)));
    node.append(kids, el('div', { class: 'close', text: close + comma }));
    return node;
  }
  return el('div', { class: 'leaf node', data: { path } }, key, leafValue(v), comma);
}

function bodyView(b, violations) {
  let root;
  if (b.json !== null && b.json !== undefined) {
    root = el('div', { class: 'json' }, tree(b.json, '', null, true));
  } else if (b.text !== null && b.text !== undefined) {
    root = el('pre', { class: 'raw', text: b.text === '' ? '(empty)' : b.text });
  } else if (b.binary_bytes !== null && b.binary_bytes !== undefined) {
    root = el('p', { class: 'dim', text: `${b.binary_bytes} bytes that are not UTF-8 (base64 in the capture)` });
  } else {
    root = el('p', { class: 'dim', text: '(no body)' });
  }
  markViolations(root, violations || []);
  return root;
}

function nodeAt(root, path) {
  for (const n of root.querySelectorAll('.node')) if (n.dataset.path === path) return n;
  return null;
}

function markViolations(root, violations) {
  for (const v of violations) {
    if (v.kind !== 'pointer') continue;
    let path = v.path;
    let node = nodeAt(root, path);
    while (!node && path) {
      path = path.slice(0, path.lastIndexOf('/'));
      node = nodeAt(root, path);
    }
    if (!node) continue;
    node.classList.add('violation');
    const note = el('span', { class: 'vnote', data: { path: v.path } },
      `✗ ${path === v.path ? '' : v.path + ': '}expected ${v.expected}, got ${v.got}`);
    if (node.tagName === 'DETAILS') node.querySelector(':scope > summary').append(note);
    else node.append(note);
  }
}

function reveal(root, path) {
  const node = nodeAt(root, path) || root;
  for (let p = node; p && p !== root; p = p.parentElement) if (p.tagName === 'DETAILS') p.open = true;
  node.scrollIntoView({ block: 'center' });
  node.classList.add('flash');
  setTimeout(() => node.classList.remove('flash'), 1200);
}

function foldButtons(root) {
  const all = (open) => { for (const d of root.querySelectorAll('details')) d.open = open; };
  return el('div', { class: 'fold' },
    el('button', { type: 'button', text: 'expand all', onclick: () => all(true) }),
    el('button', { type: 'button', text: 'collapse all', onclick: () => all(false) }));
}

// --- actions: replay, copy, download

function actions(d) {
  const forward = state.info && state.info.forward;
  const token = state.info && state.info.token;
  const urlInput = el('input', { id: 'replay-url', type: 'url', placeholder: 'http://127.0.0.1:8080/callback', size: 40 });
  const toForward = el('input', { type: 'radio', name: 'replay-to', value: 'forward', id: 'replay-to-forward', disabled: !forward, checked: !!forward });
  const toUrl = el('input', { type: 'radio', name: 'replay-to', value: 'url', id: 'replay-to-url', checked: !forward });
  urlInput.addEventListener('focus', () => { toUrl.checked = true; });
  const fresh = el('input', { type: 'radio', name: 'replay-sign', value: 'fresh', id: 'replay-fresh', checked: true });
  const asIs = el('input', { type: 'radio', name: 'replay-sign', value: 'as_is', id: 'replay-as-is' });
  const button = el('button', { type: 'button', id: 'replay-button', class: 'primary', text: 'Replay', disabled: !!d.not_replayable });
  button.addEventListener('click', () => replay(d, {
    to: toForward.checked ? 'forward' : 'url',
    url: urlInput.value,
    sign: asIs.checked ? 'as_is' : 'fresh'
  }, button));
  const out = el('pre', { class: 'command', id: 'command', hidden: true });
  const copy = (text, what) => {
    out.hidden = false;
    out.textContent = text;
    const done = () => { out.dataset.copied = what; };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, done);
    else done();
  };
  const sendButton = d.commands.send
    ? el('button', { type: 'button', id: 'copy-send', text: 'Copy as deskhook send', onclick: () => copy(d.commands.send, 'send') })
    : el('button', { type: 'button', id: 'copy-send', text: 'Copy as deskhook send', disabled: true, title: d.commands.send_note });
  return el('div', { class: 'acts' },
    el('fieldset', { class: 'replay' },
      el('legend', { text: 'Replay' }),
      d.not_replayable ? el('p', { class: 'dim', text: d.not_replayable }) : null,
      el('div', {}, toForward, el('label', { for: 'replay-to-forward', text: forward ? ` to the --forward-to backend ${forward}` : ' to the --forward-to backend (none: listen runs without --forward-to)' })),
      el('div', {}, toUrl, el('label', { for: 'replay-to-url', text: ' to ' }), urlInput),
      el('div', {}, fresh, el('label', { for: 'replay-fresh', text: token ? " freshly signed with listen's --token" : ' freshly signed (listen has no --token: unsigned)' }),
        ' ', asIs, el('label', { for: 'replay-as-is', text: ' as captured' })),
      button),
    el('div', { class: 'copy' },
      el('button', { type: 'button', id: 'copy-curl', text: 'Copy as curl', onclick: () => copy(d.commands.curl, 'curl') }),
      sendButton,
      el('button', { type: 'button', id: 'download-one', text: 'Download', title: 'its capture line', onclick: () => download([d.id]) })),
    out);
}

async function replay(d, req, button) {
  const box = $('replay-result');
  box.hidden = false;
  put(box, el('p', { class: 'dim', text: 'replaying…' }));
  button.disabled = true;
  try {
    const r = await apiJson('/api/replay', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: d.id, to: req.to, url: req.to === 'url' ? req.url : null, sign: req.sign })
    });
    put(box, el('h3', { text: 'Replay' }), compare(d, r));
  } catch (e) {
    put(box, el('p', { class: 'error', id: 'replay-error', text: `Replay refused: ${e.message}` }));
  } finally {
    button.disabled = false;
  }
}

function compare(d, r) {
  const newBody = bodyView({ json: r.answer_json, text: r.answer_json === null ? r.answer : null }, r.violations);
  const oldBody = bodyView({ json: d.answer.json, text: d.answer.json === null ? d.answer.text : null }, d.answer.problems);
  return el('div', { class: 'compare' },
    el('div', { class: 'col before' },
      el('h4', { text: 'before' }),
      el('p', {}, 'HTTP ', el('b', { text: String(d.answer.status) }), ' ', verdictBadge(d.verdict)),
      oldBody),
    el('div', { class: 'col after' },
      el('h4', { text: 'replay' }),
      el('p', { class: 'dim sent-to', text: `${r.signing} → ${r.url}` }),
      r.note ? el('p', { class: 'note', text: r.note }) : null,
      el('p', {}, 'HTTP ', el('b', { class: 'replay-status', text: r.status === null ? '—' : String(r.status) }), ' ',
        verdictBadge(r.verdict), ` ${ms(r.latency_ms)}`),
      r.error ? el('p', { class: 'error', text: r.error }) : null,
      violationList(r.violations, newBody, 'replay-violations'),
      newBody));
}

async function download(ids) {
  const q = ids ? `?ids=${ids.join(',')}` : '';
  try {
    const resp = await api(`/api/download${q}`);
    if (!resp.ok) {
      const body = await resp.json().catch(() => ({}));
      throw new Error(body.error || `HTTP ${resp.status}`);
    }
    const blob = await resp.blob();
    const a = el('a', { href: URL.createObjectURL(blob), download: 'deskhook-capture.jsonl' });
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  } catch (e) {
    fail(`Download failed: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// start

async function start() {
  if (!KEY) {
    $('nokey').hidden = false;
    setConn('down', 'no key');
    return;
  }
  try {
    state.info = await apiJson('/api/info');
  } catch (e) {
    fail(e.message);
    setConn('down', 'refused');
    return;
  }
  const i = state.info;
  $('listen-url').textContent = i.listen;
  put($('run'),
    el('span', {}, 'receiver ', el('code', { text: i.listen })),
    i.forward ? el('span', {}, ' → backend ', el('code', { text: i.forward })) : null,
    el('span', { class: i.token ? 'ok' : 'dim', text: i.token ? ' · credentials checked' : ' · no --token: credentials not checked' }),
    i.history && i.history.exchanges ? el('span', { class: 'dim', text: ` · ${i.history.exchanges} from the capture` }) : null);
  for (const id of ['f-event', 'f-verdict']) $(id).addEventListener('change', renderList);
  for (const id of ['f-session', 'f-text']) $(id).addEventListener('input', renderList);
  $('clear-filters').addEventListener('click', () => {
    for (const id of ['f-event', 'f-verdict', 'f-session', 'f-text']) $(id).value = '';
    renderList();
  });
  $('download-shown').addEventListener('click', () => {
    const ids = shownRows().map((r) => r.id);
    if (ids.length) download(ids);
  });
  connect();
}

start();
