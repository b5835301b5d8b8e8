// The adapter console: live calls over /v1/console/ws, control through the REST API, history from MySQL.
// Everything shown is set with textContent (never innerHTML): call data is untrusted.
import { describeReason, sipCallIdOf } from './call-reasons.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'ava-console-token';
const MAX_EVENTS = 200;

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  scope: 'read',
  calls: new Map(),
  selected: undefined,
  ws: undefined,
  retryMs: 500,
};

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return node;
}

function setStatus(text, isError = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
}

function duration(fromIso, toIso) {
  const ms = Math.max(0, (toIso ? Date.parse(toIso) : Date.now()) - Date.parse(fromIso));
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour12: false });
}

function compact(data) {
  const text = JSON.stringify(data ?? {});
  return text === '{}' ? '' : text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

// ---- derived views of a call's events ----

function transcriptOf(events) {
  return events
    .filter((e) => e.type === 'transcript' || e.type === 'call.transcript')
    .map((e) => ({ at: e.at, role: String(e.data.role ?? ''), text: String(e.data.text ?? '') }));
}

function toolCallsOf(events) {
  return events.filter((e) => e.type.startsWith('tool') || e.type.startsWith('call.tool'));
}

function latencyOf(call) {
  if (call.latency) return call.latency;
  for (let i = call.events.length - 1; i >= 0; i -= 1) {
    const l = call.events[i].data?.latency;
    if (l && typeof l === 'object') return l;
  }
  return undefined;
}

// ---- rendering ----

/** A call is over for the console once it is ending: no more control, and it leaves "Live calls" when ended. */
function isEnded(call) {
  return Boolean(call.endedAt) || call.state === 'ended';
}

function isControllable(call) {
  return !isEnded(call) && call.state !== 'ending';
}

function renderLive() {
  const body = $('live-calls').tBodies[0];
  const rows = [];
  const live = [...state.calls.values()].filter((c) => !isEnded(c));
  for (const call of live) {
    const who = `${call.caller ?? 'unknown'} → ${call.callee ?? '—'}`;
    const select = el(
      'button',
      { type: 'button', 'aria-label': `Show call ${who}`, onclick: () => select_(call.id) },
      'Show',
    );
    const row = el(
      'tr',
      { 'data-call-id': call.id, 'aria-selected': String(state.selected === call.id) },
      el('td', {}, who),
      el('td', { class: 'call-state' }, call.state),
      el('td', {}, call.route),
      el('td', {}, call.agentKind),
      el('td', { class: 'duration' }, duration(call.startedAt, call.endedAt)),
      el('td', {}, select),
    );
    rows.push(row);
  }
  body.replaceChildren(...rows);
  $('live-count').textContent = `(${live.length})`;
  $('no-calls').hidden = live.length > 0;
}

function renderDetail() {
  const call = state.selected ? state.calls.get(state.selected) : undefined;
  $('detail').hidden = !call;
  if (!call) return;
  $('detail-id').textContent = call.id;
  const info = [
    ['State', call.state],
    ['Direction', call.direction],
    ['From', call.caller ?? '—'],
    ['To', call.callee ?? '—'],
    ['Route', call.route],
    ['Agent', call.agentKind],
    ['Started', new Date(call.startedAt).toLocaleString()],
    ['Duration', duration(call.startedAt, call.endedAt)],
  ];
  if (call.endReason) info.push(['Ended', `${describeReason(call.endReason)} (by ${call.endInitiator})`]);
  $('detail-info').replaceChildren(...info.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  renderLists(call.events, latencyOf(call));
  const live = isControllable(call);
  const control = state.scope === 'control';
  $('hangup').disabled = !live || !control;
  for (const input of $('transfer-form').elements) input.disabled = !live || !control;
  if (!control) $('action-result').textContent = 'This token may only watch (scope read).';
}

function renderLists(events, latency) {
  $('transcript').replaceChildren(
    ...transcriptOf(events).map((t) =>
      el('li', {}, el('span', { class: 'time' }, clock(t.at)), el('span', { class: 'role' }, `${t.role}:`), t.text),
    ),
  );
  $('events').replaceChildren(
    ...events.map((e) =>
      el(
        'li',
        {},
        el('span', { class: 'time' }, clock(e.at)),
        e.type,
        ' ',
        el('span', { class: 'data' }, compact(e.data)),
      ),
    ),
  );
  const tools = toolCallsOf(events);
  $('tools').replaceChildren(
    ...(tools.length
      ? tools.map((e) =>
          el(
            'li',
            {},
            el('span', { class: 'time' }, clock(e.at)),
            e.type,
            ' ',
            el('span', { class: 'data' }, compact(e.data)),
          ),
        )
      : [el('li', {}, 'none recorded')]),
  );
  const rows = [];
  if (latency && typeof latency === 'object') {
    for (const [name, v] of Object.entries(latency)) {
      const text =
        v && typeof v === 'object'
          ? Object.entries(v)
              .map(([k, x]) => `${k} ${x}`)
              .join(', ')
          : v === null
            ? '—'
            : String(v);
      rows.push(el('dt', {}, name), el('dd', {}, text));
    }
  } else rows.push(el('dt', {}, 'Turns'), el('dd', {}, 'not recorded yet'));
  $('latency').replaceChildren(...rows);
}

function select_(id) {
  state.selected = id;
  $('action-result').textContent = '';
  renderLive();
  renderDetail();
  $('detail-title').focus?.();
}

// ---- the live feed ----

function onMessage(m) {
  switch (m.type) {
    case 'hello':
      state.scope = m.scope;
      state.calls = new Map(m.calls.map((c) => [c.id, c]));
      setStatus(`Connected as ${m.principal} (${m.scope})`);
      $('login').hidden = true;
      $('console').hidden = false;
      break;
    case 'call.added':
      state.calls.set(m.call.id, m.call);
      break;
    case 'call.state': {
      const c = state.calls.get(m.callId);
      if (c) c.state = m.state;
      break;
    }
    case 'call.event': {
      const c = state.calls.get(m.callId);
      if (c) {
        c.events.push(m.event);
        if (c.events.length > MAX_EVENTS) c.events.shift();
      }
      break;
    }
    case 'call.ended': {
      const c = state.calls.get(m.callId);
      if (c) {
        c.state = 'ended';
        c.endedAt = m.endedAt;
        c.endReason = m.reason;
        c.endInitiator = m.initiator;
        c.latency = m.latency ?? undefined;
        // It leaves "Live calls" at once; its details stay readable while selected, then it is in the history.
        setTimeout(() => {
          if (state.selected === m.callId) return;
          state.calls.delete(m.callId);
          renderLive();
        }, 60_000);
      }
      // The web phone shows why its call ended (matched by SIP Call-ID).
      document.dispatchEvent(
        new CustomEvent('ava:call-ended', {
          detail: { callId: m.callId, reason: m.reason, initiator: m.initiator, sipCallId: sipCallIdOf(c) },
        }),
      );
      // The record is written through the job layer; refresh once it has had time to land.
      setTimeout(() => void loadHistory(), 1000);
      break;
    }
    default:
      return;
  }
  renderLive();
  if (m.type === 'hello' || m.callId === state.selected || m.call?.id === state.selected) renderDetail();
}

function connect() {
  if (!state.token) return;
  const url = new URL('/v1/console/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  state.ws = ws;
  setStatus('Connecting…');
  ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'auth', token: state.token })));
  ws.addEventListener('message', (ev) => {
    state.retryMs = 500;
    try {
      onMessage(JSON.parse(ev.data));
    } catch (err) {
      console.error('bad console message', err);
    }
  });
  ws.addEventListener('close', (ev) => {
    if (state.ws !== ws) return;
    if (ev.code === 4401 || ev.code === 4400) {
      sessionStorage.removeItem(TOKEN_KEY);
      state.token = '';
      setStatus('The token was refused.', true);
      $('console').hidden = true;
      $('login').hidden = false;
      return;
    }
    setStatus(`Disconnected; reconnecting in ${Math.round(state.retryMs / 1000)} s`, true);
    setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 10_000);
  });
}

// ---- REST: control and history ----

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${state.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const payload = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(payload?.error?.message ?? `HTTP ${res.status}`);
  return payload;
}

async function control(action, body) {
  const id = state.selected;
  if (!id) return;
  const out = $('action-result');
  out.classList.remove('error');
  out.textContent = `${action}…`;
  try {
    await api('POST', `/v1/calls/${encodeURIComponent(id)}/${action}`, body);
    out.textContent = `${action} done`;
  } catch (err) {
    out.classList.add('error');
    out.textContent = `${action} failed: ${err.message}`;
  }
}

function renderHistory(items) {
  $('history').tBodies[0].replaceChildren(
    ...items.map((c) =>
      el(
        'tr',
        { 'data-call-id': c.id },
        el('td', {}, new Date(c.createdAt).toLocaleString()),
        el('td', {}, c.fromNumber ?? '—'),
        el('td', {}, c.toNumber ?? '—'),
        el('td', {}, c.route ?? '—'),
        el('td', {}, c.state),
        el('td', {}, c.closeReason ?? ''),
        el('td', {}, c.endedAt ? duration(c.answeredAt ?? c.createdAt, c.endedAt) : ''),
        el('td', {}, el('button', { type: 'button', onclick: () => void showRecorded(c.id) }, 'Details')),
      ),
    ),
  );
  $('history-empty').textContent = 'No recorded calls match.';
  $('history-empty').hidden = items.length > 0;
}

let historyRequest = 0;

async function loadHistory() {
  if (!state.token) return;
  const mine = ++historyRequest;
  const form = new FormData($('history-form'));
  const q = new URLSearchParams();
  for (const [k, v] of form) if (v) q.set(k, String(v));
  try {
    const { items } = await api('GET', `/v1/console/history?${q}`);
    // An older search answering late must not overwrite a newer one.
    if (mine === historyRequest) renderHistory(items);
  } catch (err) {
    $('history-empty').hidden = false;
    $('history-empty').textContent = `History unavailable: ${err.message}`;
  }
}

async function showRecorded(id) {
  try {
    const { call, events, transcript, toolCalls } = await api('GET', `/v1/console/calls/${encodeURIComponent(id)}`);
    const live = state.calls.get(id);
    if (live) return select_(id);
    state.calls.set(id, {
      id,
      direction: call.direction,
      caller: call.fromNumber,
      callee: call.toNumber,
      route: call.route ?? '—',
      agentKind: call.agentKind ?? '—',
      state: call.state,
      startedAt: call.createdAt,
      endedAt: call.endedAt ?? call.createdAt,
      endReason: call.closeReason,
      endInitiator: call.hangupInitiator,
      latency: call.latency ?? undefined,
      events: [
        ...events.map((e) => ({
          type: e.type,
          at: e.occurredAt,
          data: e.payload && typeof e.payload === 'object' ? e.payload : {},
        })),
        // Transcript lines are events too when the call recorded them so; the table is read when it did not.
        ...(events.some((e) => e.type === 'call.transcript') ? [] : transcript).map((t) => ({
          type: 'transcript',
          at: t.createdAt,
          data: { role: t.role, text: t.text },
        })),
        ...toolCalls.map((t) => ({
          type: `tool.${t.status}`,
          at: t.createdAt,
          data: { name: t.name, arguments: t.arguments, result: t.result, error: t.error },
        })),
      ],
    });
    select_(id);
  } catch (err) {
    setStatus(`Could not load the call: ${err.message}`, true);
  }
}

// ---- wiring ----

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = $('token').value.trim();
    $('token').value = '';
    sessionStorage.setItem(TOKEN_KEY, state.token);
    connect();
    void loadHistory();
  });
  $('hangup').addEventListener('click', () => void control('hangup', {}));
  $('transfer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const target = $('transfer-target').value.trim();
    const context = $('transfer-context').value.trim();
    void control('transfer', { target, ...(context ? { context } : {}) });
  });
  $('history-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadHistory();
  });
  $('detail-title').tabIndex = -1;
  setInterval(() => {
    for (const cell of document.querySelectorAll('#live-calls .duration')) {
      const call = state.calls.get(cell.parentElement?.dataset.callId ?? '');
      if (call) cell.textContent = duration(call.startedAt, call.endedAt);
    }
  }, 1000);
  if (state.token) {
    connect();
    void loadHistory();
  }
});
