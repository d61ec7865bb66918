// The esb console in the browser: Preact + htm, no build step (docs/console.md). One
// EventSource brings every change; pages are hash routes (#/deployments, #/logs/fn?request=id).
import { h, render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);
const BASE = '/_esb';
const MAX_LOG_LINES = 3000;
const NO_TRAFFIC = { count: 0, errors: 0, spark: [], recent: [] };

// ---------- routing ----------
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/deployments';
  const [p, q] = raw.split('?');
  const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'deployments', arg: parts[1], arg2: parts[2], query: new URLSearchParams(q || '') };
}
function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const on = () => setRoute(parseHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
const link = (...parts) => `#/${parts.map((p) => encodeURIComponent(p)).join('/')}`;
const logsLink = (fn, requestId) => `${link('logs', fn)}${requestId ? `?request=${encodeURIComponent(requestId)}` : ''}`;

// ---------- live state ----------
function useLive(logsOf) {
  const [state, setState] = useState({ deployments: null, routes: null, traffic: { routes: {}, functions: {} }, functions: null, problems: {} });
  const [logs, setLogs] = useState({ function: undefined, lines: [] });
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    setLogs({ function: logsOf, lines: [] });
    const es = new EventSource(`${BASE}/events${logsOf ? `?logs=${encodeURIComponent(logsOf)}` : ''}`);
    es.onopen = () => setConnected(true);
    es.onerror = () => setConnected(false);
    for (const topic of ['deployments', 'routes', 'traffic', 'functions']) {
      es.addEventListener(topic, (e) => setState((s) => ({ ...s, [topic]: JSON.parse(e.data), problems: { ...s.problems, [topic]: undefined } })));
    }
    es.addEventListener('problem', (e) => {
      const p = JSON.parse(e.data);
      setState((s) => ({ ...s, problems: { ...s.problems, [p.topic]: p.message } }));
    });
    es.addEventListener('logs', (e) => {
      const batch = JSON.parse(e.data);
      setLogs((l) => (l.function === batch.function ? { function: batch.function, lines: [...l.lines, ...batch.lines].slice(-MAX_LOG_LINES) } : l));
    });
    return () => es.close();
  }, [logsOf]);
  return { ...state, logs, connected };
}

// A clock for ages, ticking once a second.
function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

// ---------- formatting ----------
function age(from, now) {
  if (!from) return '<unknown>';
  const s = Math.max(0, Math.floor((now - new Date(from).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
const ms = (v) => (v === undefined || v === null ? '–' : v < 10 ? `${v.toFixed(2)} ms` : `${Math.round(v)} ms`);
const clock = (t) => new Date(t).toLocaleTimeString([], { hour12: false }) + '.' + String(new Date(t).getMilliseconds()).padStart(3, '0');
const pretty = (v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);

// ---------- small components ----------
function Pill({ status, children }) {
  return html`<span class="pill ${status}">${children ?? status}</span>`;
}
function Method({ m }) {
  return html`<span class="method ${m}">${m}</span>`;
}
function Status({ code }) {
  return html`<span class="status-${String(code)[0]}">${code}</span>`;
}
function Sparkline({ values, width = 130, height = 28 }) {
  if (!values || values.length === 0) return html`<span class="muted">no traffic</span>`;
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? (width - 4) / (values.length - 1) : 0;
  const pts = values.map((v, i) => [2 + i * step, height - 3 - (v / max) * (height - 6)]);
  const d = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const [lx, ly] = pts[pts.length - 1];
  return html`<svg class="spark" width=${width} height=${height} viewBox="0 0 ${width} ${height}" role="img" aria-label="latency of the last ${values.length} requests">
    <title>last ${values.length} requests, max ${ms(max)}</title>
    <polyline points="2,${height - 3} ${d} ${lx.toFixed(1)},${height - 3}" fill="rgba(79,70,229,.10)" stroke="none" />
    <polyline points=${d} fill="none" stroke="#4f46e5" stroke-width="1.6" stroke-linejoin="round" />
    <circle cx=${lx} cy=${ly} r="2.4" fill="#4f46e5" />
  </svg>`;
}
function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}
function Problem({ message }) {
  return message ? html`<div class="problem">${message}</div>` : null;
}

// ---------- Deployments ----------
function Deployments({ items, problem }) {
  const now = useNow();
  const [open, setOpen] = useState({});
  if (!items) return html`<${Empty}>Loading…<//>`;
  return html`
    <h1>Deployments</h1>
    <p class="sub">What the controller reconciled: conditions as <code>kubectl describe</code> shows them. Click a row for its conditions and its stack's Outputs.</p>
    <${Problem} message=${problem} />
    <div class="panel">
      ${items.length === 0
        ? html`<${Empty}>No deployments yet. <code>esb deploy -t template.yml</code> adds one.<//>`
        : html`<table id="deployments">
            <thead><tr><th>Name</th><th>Namespace</th><th>Env</th><th>Ready</th><th>Reason</th><th class="num">Generation</th><th class="num">Observed</th><th>Deployed</th><th>Age</th></tr></thead>
            <tbody>
              ${items.map((d) => {
                const ready = d.conditions.find((c) => c.type === 'Ready');
                const key = `${d.namespace}/${d.name}`;
                const stale = d.observedGeneration !== undefined && d.generation !== undefined && d.observedGeneration < d.generation;
                return html`
                  <tr class="clickable" data-deployment=${d.name} data-ready=${ready?.status ?? 'Unknown'} onClick=${() => setOpen({ ...open, [key]: !open[key] })}>
                    <td><b>${d.name}</b></td>
                    <td class="muted">${d.namespace}</td>
                    <td>${d.env ?? ''}</td>
                    <td><${Pill} status=${ready?.status ?? 'Unknown'} /></td>
                    <td>${ready?.reason ?? ''}</td>
                    <td class="num">${d.generation ?? '–'}</td>
                    <td class="num ${stale ? 'status-4' : ''}">${d.observedGeneration ?? '–'}</td>
                    <td class="muted nowrap">${d.functions ?? 0} fn · ${d.routes ?? 0} routes · ${d.resources ?? 0} res</td>
                    <td>${age(d.createdAt, now)}</td>
                  </tr>
                  ${d.lastError &&
                  html`<tr data-error-of=${d.name}><td colspan="9" style="padding:0">
                    <div class="error-box">
                      <b>${d.lastError.condition} failed: ${d.lastError.reason}</b>
                      ${d.lastError.location && html` at <span class="loc">${d.lastError.location}</span>`}
                      ${d.lastError.since && html` <span class="muted">(${age(d.lastError.since, now)} ago)</span>`}
                      <pre>${d.lastError.message}</pre>
                    </div>
                  </td></tr>`}
                  ${open[key] &&
                  html`<tr class="conditions"><td colspan="9">
                    <table>
                      <thead><tr><th>Type</th><th>Status</th><th>Reason</th><th>Since</th><th>Message</th></tr></thead>
                      <tbody>
                        ${d.conditions.map(
                          (c) => html`<tr><td>${c.type}</td><td><${Pill} status=${c.status} /></td><td>${c.reason}</td><td>${age(c.lastTransitionTime, now)}</td><td class="mono">${c.message}</td></tr>`,
                        )}
                      </tbody>
                    </table>
                    ${d.outputs.length > 0 &&
                    html`<table class="outputs">
                      <thead><tr><th>Output</th><th>Value</th><th>Export</th><th>Description</th></tr></thead>
                      <tbody>
                        ${d.outputs.map(
                          (o) => html`<tr data-output=${o.key}><td>${o.key}</td><td class="mono">${o.value ?? html`<span class="muted">${o.problem ?? ''}</span>`}</td><td class="mono">${o.exportName ?? ''}</td><td>${o.description ?? ''}</td></tr>`,
                        )}
                      </tbody>
                    </table>`}
                    <div class="muted" style="padding:8px 12px">template <code>${d.template ?? ''}</code> · project ${d.project ?? ''}</div>
                  </td></tr>`}
                `;
              })}
            </tbody>
          </table>`}
    </div>`;
}

// ---------- Routes + try it ----------
function httpText(response) {
  const head = Object.entries(response.headers).map(([k, v]) => `${k}: ${v}`).join('\n');
  return `HTTP ${response.status}\n${head}\n\n${response.body.text ?? `(base64) ${response.body.base64}`}`;
}

function parseHeaderLines(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

function TryIt({ route, onClose }) {
  const [method, setMethod] = useState(route.method === 'ANY' ? 'GET' : route.method);
  const [path, setPath] = useState(route.path === '$default' ? '/' : route.path.replace(/\{([^}+]+)\+?\}/g, '$1'));
  const [query, setQuery] = useState('');
  const [headers, setHeaders] = useState(route.apiKeyRequired ? 'x-api-key: ' : route.authorizer ? 'Authorization: ' : '');
  const [body, setBody] = useState('');
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const send = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      const res = await fetch(`${BASE}/api/try`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method, path, query, headers: parseHeaderLines(headers), body: body || undefined }),
      });
      setResult(await res.json());
    } catch (err) {
      setResult({ message: String(err) });
    } finally {
      setBusy(false);
    }
  };
  const inv = result?.invocations?.[0];
  return html`
    <div class="panel" id="try-it">
      <div class="head">Try <${Method} m=${route.method} /> <code>${route.path}</code> <span class="muted">→ ${route.function}</span><span style="flex:1"></span><button onClick=${onClose}>Close</button></div>
      <form class="form" onSubmit=${send}>
        <label>Method</label>
        <select name="method" value=${method} onChange=${(e) => setMethod(e.target.value)}>
          ${['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => html`<option value=${m}>${m}</option>`)}
        </select>
        <label>Path</label><input name="path" class="mono" value=${path} onInput=${(e) => setPath(e.target.value)} />
        <label>Query</label><input name="query" class="mono" placeholder="a=1&b=2" value=${query} onInput=${(e) => setQuery(e.target.value)} />
        <label>Headers</label><textarea name="headers" placeholder="Name: value (one a line)" value=${headers} onInput=${(e) => setHeaders(e.target.value)}></textarea>
        <label>Body</label><textarea name="body" value=${body} onInput=${(e) => setBody(e.target.value)}></textarea>
        <span></span><div><button class="primary" type="submit" disabled=${busy}>${busy ? 'Sending…' : 'Send'}</button></div>
      </form>
      ${result &&
      (result.response
        ? html`<div id="try-result" style="padding:0 14px 14px">
            <p>
              <span class="stat">Status <b id="try-status"><${Status} code=${result.response.status} /></b></span>
              <span class="stat">Time <b>${ms(result.durationMs)}</b></span>
              ${result.requestId && html`<span class="stat">Request id <a id="try-request-id" href=${logsLink(inv?.function ?? route.function, result.requestId)} class="mono">${result.requestId}</a></span>`}
            </p>
            <div class="cols">
              <div class="panel"><div class="head">Event the function received</div><pre class="json" id="try-event">${inv ? pretty(inv.event) : 'The function was not invoked (see the response).'}</pre></div>
              <div class="panel"><div class="head">Function response</div><pre class="json" id="try-function-response">${inv?.result ? pretty(inv.result.error ? { error: inv.result.error, payload: inv.result.payload } : inv.result.payload) : '–'}</pre></div>
            </div>
            <div class="panel"><div class="head">HTTP response</div><pre class="json" id="try-response">${httpText(result.response)}</pre></div>
          </div>`
        : html`<div class="error-box">${result.message}</div>`)}
    </div>`;
}

function Routes({ items, problem }) {
  const [trying, setTrying] = useState(null);
  if (!items) return html`<${Empty}>Loading…<//>`;
  return html`
    <h1>Routes</h1>
    <p class="sub">Every route the gateway serves, which function answers it, and how fast.</p>
    <${Problem} message=${problem} />
    ${trying && html`<${TryIt} key=${trying.api + trying.routeKey} route=${trying} onClose=${() => setTrying(null)} />`}
    <div class="panel">
      ${items.length === 0
        ? html`<${Empty}>No routes deployed.<//>`
        : html`<table id="routes">
            <thead><tr><th>Method</th><th>Path</th><th>API</th><th>Function</th><th>Authorizer</th><th class="num">Requests</th><th class="num">p50</th><th class="num">p95</th><th>Latency</th><th></th></tr></thead>
            <tbody>
              ${items.map(
                (r) => html`<tr data-route=${r.routeKey}>
                  <td><${Method} m=${r.method} /></td>
                  <td class="mono">${r.path}</td>
                  <td>${r.api} <span class="muted">${r.apiType === 'http' ? 'HTTP API' : r.apiType === 'websocket' ? 'WebSocket' : 'REST'}</span></td>
                  <td><a href=${link('functions', r.function)}>${r.function}</a></td>
                  <td>${r.authorizer ?? (r.apiKeyRequired ? 'API key' : html`<span class="muted">none</span>`)}${r.authorizer && r.apiKeyRequired ? ' + API key' : ''}</td>
                  <td class="num">${r.count}${r.errors ? html` <span class="status-5">(${r.errors} 5xx)</span>` : ''}</td>
                  <td class="num">${r.count ? ms(r.p50) : '–'}</td>
                  <td class="num">${r.count ? ms(r.p95) : '–'}</td>
                  <td><${Sparkline} values=${r.spark} /></td>
                  <td><button class="try" onClick=${() => setTrying(r)}>Try it</button></td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    </div>`;
}

// ---------- Functions ----------
function Instances({ f }) {
  return html`<span class="inst">
    <span class="idle" title="warm, idle">${f.idle ?? 0} idle</span>
    <span class="busy" title="running an invocation">${f.busy ?? 0} busy</span>
    ${f.starting ? html`<span title="starting">${f.starting} starting</span>` : ''}
    ${f.waiting ? html`<span class="busy" title="requests waiting for an instance">${f.waiting} waiting</span>` : ''}
    ${f.queuedInInstances
      ? html`<span class="queued" title=${`requests sent to a busy instance to run right after its current one, since start; ${f.recalledFromInstances ?? 0} of them given back unstarted because that one ran long`}>${f.queuedInInstances} queued in instances</span>`
      : ''}
  </span>`;
}

function Invocations({ items }) {
  const now = useNow();
  if (!items.length) return html`<${Empty}>No invocations yet.<//>`;
  return html`<table class="invocations">
    <thead><tr><th>When</th><th>Request</th><th>Status</th><th class="num">Duration</th><th>Request id</th></tr></thead>
    <tbody>
      ${items.map(
        (i) => html`<tr data-request-id=${i.requestId}>
          <td title=${new Date(i.time).toISOString()}>${age(i.time, now)} ago</td>
          <td>${i.route === 'lambda:Invoke' ? html`<span class="muted">Invoke API</span>` : html`<${Method} m=${i.method} /> <span class="mono">${i.path}</span>`}</td>
          <td><${Status} code=${i.status} /></td>
          <td class="num">${ms(i.durationMs)}</td>
          <td><a class="mono log-link" href=${logsLink(i.function, i.requestId)}>${i.requestId}</a></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function Functions({ items, selected, problem }) {
  if (!items) return html`<${Empty}>Loading…<//>`;
  const f = selected && items.find((x) => x.name === selected);
  return html`
    <h1>Functions</h1>
    <p class="sub">Instances as the agent holds them now, cold starts, and the latest invocations.</p>
    <${Problem} message=${problem} />
    <div class="panel">
      ${items.length === 0
        ? html`<${Empty}>No functions deployed.<//>`
        : html`<table id="functions">
            <thead><tr><th>Function</th><th>Runtime</th><th>Instances</th><th class="num">Cold starts</th><th class="num">Invocations</th><th class="num">p50</th><th class="num">p95</th><th>Latency</th></tr></thead>
            <tbody>
              ${items.map(
                (x) => html`<tr class="clickable" data-function=${x.name} onClick=${() => (location.hash = link('functions', x.name))}>
                  <td><b>${x.name}</b>${x.initFailures ? html` <${Pill} status="False">init failing<//>` : ''}</td>
                  <td>${x.runtime ?? x.packageType ?? ''}</td>
                  <td><${Instances} f=${x} /></td>
                  <td class="num">${x.coldStarts ?? 0}</td>
                  <td class="num">${x.invocations ?? 0}</td>
                  <td class="num">${x.count ? ms(x.p50) : '–'}</td>
                  <td class="num">${x.count ? ms(x.p95) : '–'}</td>
                  <td><${Sparkline} values=${x.spark} /></td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    </div>
    ${f &&
    html`<div class="panel" id="function-detail">
      <div class="head">${f.name} <span class="muted mono">${f.handler ?? ''} · ${f.memoryMb ?? '?'} MB · timeout ${f.timeoutS ?? '?'} s</span><span style="flex:1"></span><a href=${logsLink(f.name)}>Logs →</a></div>
      <${Invocations} items=${f.recent} />
    </div>`}`;
}

// ---------- Logs ----------
function Logs({ fn, request, functions, logs }) {
  const [filter, setFilter] = useState(request ?? '');
  useEffect(() => setFilter(request ?? ''), [request]);
  const box = useRef(null);
  const lines = useMemo(() => (filter ? logs.lines.filter((l) => l.requestId === filter.trim()) : logs.lines), [logs, filter]);
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines.length]);
  const names = (functions ?? []).map((f) => f.name);
  return html`
    <h1>Logs</h1>
    <p class="sub">Live tail of what a function prints, with Lambda's START / END / REPORT lines.</p>
    <div class="panel">
      <div class="toolbar">
        <select id="log-function" value=${fn ?? ''} onChange=${(e) => (location.hash = logsLink(e.target.value))}>
          <option value="">choose a function…</option>
          ${names.map((n) => html`<option value=${n}>${n}</option>`)}
        </select>
        <input id="log-filter" class="mono grow" placeholder="filter by request id" value=${filter} onInput=${(e) => setFilter(e.target.value)} />
        <span class="muted">${lines.length} lines</span>
      </div>
      ${!fn
        ? html`<${Empty}>Choose a function.<//>`
        : html`<div class="logs" id="log-lines" ref=${box}>
            ${lines.length === 0 ? html`<div class="line"><span></span><span class="muted">waiting for lines…</span></div>` : ''}
            ${lines.map(
              (l) => html`<div class="line ${l.stream} ${request && l.requestId === request ? 'hl' : ''}" data-request-id=${l.requestId ?? ''}>
                <span class="t">${clock(l.time)}</span><span>${l.message}</span>
              </div>`,
            )}
          </div>`}
    </div>`;
}

// ---------- Storage ----------
function useFetch(url, deps) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!url) return;
    let live = true;
    setData(null);
    setError(null);
    fetch(url)
      .then(async (r) => {
        const body = await r.json();
        if (!r.ok) throw new Error(body.message ?? r.statusText);
        return body;
      })
      .then((d) => live && setData(d), (e) => live && setError(String(e.message ?? e)));
    return () => (live = false);
  }, deps);
  return { data, error };
}

function TableScan({ name }) {
  // A scan, or a query by primary key once a partition key value is given.
  const [query, setQuery] = useState({ pk: '', sk: '' });
  const [draft, setDraft] = useState({ pk: '', sk: '' });
  const [pages, setPages] = useState([undefined]);
  const after = pages[pages.length - 1];
  const params = new URLSearchParams({ limit: '50' });
  if (after) params.set('after', after);
  if (query.pk) params.set('pk', query.pk);
  if (query.pk && query.sk) params.set('sk', query.sk);
  const { data, error } = useFetch(`${BASE}/api/storage/tables/${encodeURIComponent(name)}?${params}`, [name, after, query.pk, query.sk]);
  const columns = useMemo(() => [...new Set((data?.items ?? []).flatMap((i) => Object.keys(i)))], [data]);
  const key = data?.key;
  const run = (next) => {
    setPages([undefined]);
    setQuery(next);
  };
  return html`<div class="panel" id="table-scan">
    <div class="head">${query.pk ? html`Query of ${name}` : html`Scan of ${name}`} <span style="flex:1"></span>
      ${pages.length > 1 && html`<button onClick=${() => setPages(pages.slice(0, -1))}>← Previous</button>`}
      ${data?.next && html`<button onClick=${() => setPages([...pages, data.next])}>Next →</button>`}
    </div>
    <form id="table-query" class="toolbar" onSubmit=${(e) => (e.preventDefault(), run(draft))}>
      <label>${key ? key.partition.name : 'partition key'} =
        <input id="query-pk" class="mono" value=${draft.pk} placeholder="partition key value" onInput=${(e) => setDraft({ ...draft, pk: e.target.value })} /></label>
      ${key?.sort && html`<label>${key.sort.name} begins with
        <input id="query-sk" class="mono" value=${draft.sk} placeholder="sort key prefix" onInput=${(e) => setDraft({ ...draft, sk: e.target.value })} /></label>`}
      <button type="submit" disabled=${!draft.pk}>Query</button>
      ${query.pk && html`<button type="button" onClick=${() => (setDraft({ pk: '', sk: '' }), run({ pk: '', sk: '' }))}>Scan all</button>`}
    </form>
    ${error ? html`<div class="error-box">${error}</div>` : !data ? html`<${Empty}>${query.pk ? 'Querying…' : 'Scanning…'}<//>` : data.items.length === 0 ? html`<${Empty}>${query.pk ? 'No item has this key.' : 'The table is empty.'}<//>` : html`<table>
      <thead><tr>${columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
      <tbody>${data.items.map((item) => html`<tr>${columns.map((c) => html`<td class="mono">${item[c] === undefined ? '' : typeof item[c] === 'object' ? JSON.stringify(item[c]) : String(item[c])}</td>`)}</tr>`)}</tbody>
    </table>`}
  </div>`;
}

function BucketObjects({ name }) {
  const { data, error } = useFetch(`${BASE}/api/storage/buckets/${encodeURIComponent(name)}`, [name]);
  return html`<div class="panel" id="bucket-objects">
    <div class="head">Objects in ${name}</div>
    ${error ? html`<div class="error-box">${error}</div>` : !data ? html`<${Empty}>Listing…<//>` : data.objects.length === 0 ? html`<${Empty}>The bucket is empty.<//>` : html`<table>
      <thead><tr><th>Key</th><th class="num">Size</th><th>Last modified</th><th></th></tr></thead>
      <tbody>${data.objects.map((o) => html`<tr><td class="mono">${o.key}</td><td class="num">${bytes(o.size)}</td><td>${o.lastModified ? new Date(o.lastModified).toLocaleString() : ''}</td>
        <td><a class="btn" href="${BASE}/api/storage/buckets/${encodeURIComponent(name)}/download?key=${encodeURIComponent(o.key)}" download>Download</a></td></tr>`)}</tbody>
    </table>`}
  </div>`;
}

function Storage({ kind, name }) {
  const [tick, setTick] = useState(0);
  const { data, error } = useFetch(`${BASE}/api/storage`, [tick]);
  return html`
    <h1>Storage</h1>
    <p class="sub">The DynamoDB tables, S3 buckets, SQS queues and Kinesis streams your functions use, the rules and subscriptions that bring them events, and the state machines. <button onClick=${() => setTick(tick + 1)}>Refresh</button></p>
    ${error && html`<div class="problem">${error}</div>`}
    <div class="cols">
      <div class="panel"><div class="head">Tables</div>
        ${!data ? html`<${Empty}>Loading…<//>` : data.tables.length === 0 ? html`<${Empty}>No tables.<//>` : html`<table id="tables">
          <thead><tr><th>Table</th><th class="num">Items</th><th></th></tr></thead>
          <tbody>${data.tables.map((t) => html`<tr data-table=${t.name}><td class="mono">${t.name}</td><td class="num">${t.itemCount}</td><td><a class="btn" href=${link('storage', 'tables', t.name)}>Scan</a></td></tr>`)}</tbody>
        </table>`}
      </div>
      <div class="panel"><div class="head">Buckets</div>
        ${!data ? html`<${Empty}>Loading…<//>` : data.buckets.length === 0 ? html`<${Empty}>No buckets.<//>` : html`<table id="buckets">
          <thead><tr><th>Bucket</th><th class="num">Objects</th><th></th></tr></thead>
          <tbody>${data.buckets.map((b) => html`<tr data-bucket=${b.name}><td class="mono">${b.name}</td><td class="num">${b.objectCount}</td><td><a class="btn" href=${link('storage', 'buckets', b.name)}>Browse</a></td></tr>`)}</tbody>
        </table>`}
      </div>
    </div>
    <div class="panel"><div class="head">Queues</div>
      ${!data ? html`<${Empty}>Loading…<//>` : (data.queues ?? []).length === 0 ? html`<${Empty}>No queues.<//>` : html`<table id="queues">
        <thead><tr><th>Queue</th><th class="num">Visible</th><th class="num">In flight</th><th class="num">Delayed</th><th>Dead-letter queue</th></tr></thead>
        <tbody>${data.queues.map((q) => html`<tr data-queue=${q.name}><td class="mono">${q.name}</td><td class="num">${q.visible}</td><td class="num">${q.inFlight}</td><td class="num">${q.delayed}</td><td class="mono">${q.deadLetterQueue ?? ''}</td></tr>`)}</tbody>
      </table>`}
    </div>
    <div class="panel"><div class="head">Kinesis streams</div>
      ${!data ? html`<${Empty}>Loading…<//>` : (data.streams ?? []).length === 0 ? html`<${Empty}>No Kinesis streams.<//>` : html`<table id="streams">
        <thead><tr><th>Stream</th><th class="num">Shards</th><th>Mode</th><th class="num">Retention (h)</th><th>Read by (records waiting)</th></tr></thead>
        <tbody>${data.streams.map((s) => html`<tr data-stream=${s.name}><td class="mono">${s.name}</td><td class="num">${s.shards}</td><td>${s.mode}</td><td class="num">${s.retentionHours}</td><td class="mono">${(data.streamReaders ?? []).filter((r) => r.source === s.name).map((r) => `${r.functionName} (${r.queued})`).join(', ')}</td></tr>`)}</tbody>
      </table>`}
    </div>
    <div class="panel"><div class="head">Rules and subscriptions</div>
      ${!data ? html`<${Empty}>Loading…<//>` : (data.rules ?? []).length + (data.subscriptions ?? []).length === 0 ? html`<${Empty}>No EventBridge rules or SNS subscriptions.<//>` : html`<table id="event-routes">
        <thead><tr><th>Kind</th><th>Bus or topic</th><th>Name</th><th>Sends to</th></tr></thead>
        <tbody>${data.rules.map((r) => html`<tr data-rule=${r.rule}><td>rule</td><td class="mono">${r.bus}</td><td class="mono">${r.rule.slice(r.bus.length + 1)}</td><td class="mono">${r.targets.join(', ')}</td></tr>`)}
          ${data.subscriptions.map((t) => html`<tr data-subscription=${`${t.topic}/${t.subscription}`}><td>subscription</td><td class="mono">${t.topic}</td><td class="mono">${t.subscription}</td><td class="mono">${t.target}</td></tr>`)}</tbody>
      </table>`}
    </div>
    <div class="panel"><div class="head">State machines</div>
      ${!data ? html`<${Empty}>Loading…<//>` : (data.stateMachines ?? []).length === 0 ? html`<${Empty}>No Step Functions state machines.<//>` : html`<table id="state-machines">
        <thead><tr><th>State machine</th><th>Type</th><th class="num">Running</th><th class="num">Executions</th></tr></thead>
        <tbody>${data.stateMachines.map((m) => html`<tr data-state-machine=${m.stateMachine}><td class="mono">${m.stateMachine}</td><td>${m.type}</td><td class="num">${m.running}</td><td class="num">${m.executions}</td></tr>`)}</tbody>
      </table>`}
    </div>
    <div class="panel"><div class="head">Durable functions</div>
      ${!data ? html`<${Empty}>Loading…<//>` : (data.durableFunctions ?? []).length === 0 ? html`<${Empty}>No durable executions yet.<//>` : html`<table id="durable-functions">
        <thead><tr><th>Function</th><th class="num">Running</th><th class="num">Executions</th><th>Latest</th></tr></thead>
        <tbody>${data.durableFunctions.map((d) => html`<tr data-durable-function=${d.function}><td class="mono">${d.function}</td><td class="num">${d.running}</td><td class="num">${d.executions}</td><td class="mono">${d.latest.map((e) => `${e.name} ${e.status}`).join(', ')}</td></tr>`)}</tbody>
      </table>`}
    </div>
    ${kind === 'tables' && name && html`<${TableScan} key=${name} name=${name} />`}
    ${kind === 'buckets' && name && html`<${BucketObjects} key=${name} name=${name} />`}`;
}

// ---------- shell ----------
function App() {
  const route = useRoute();
  const logsOf = route.page === 'logs' ? route.arg : undefined;
  const live = useLive(logsOf);
  const notReady = (live.deployments ?? []).filter((d) => d.conditions.find((c) => c.type === 'Ready')?.status !== 'True').length;
  const nav = [
    ['deployments', 'Deployments', live.deployments && (notReady ? html`<span class="bad">${notReady} not ready</span>` : live.deployments.length)],
    ['routes', 'Routes', live.routes?.length],
    ['functions', 'Functions', live.functions?.length],
    ['logs', 'Logs'],
    ['storage', 'Storage'],
  ];
  let page;
  // The route table and functions, with the latency and latest requests of those that had traffic.
  const routes = useMemo(() => live.routes && live.routes.map((r) => ({ ...r, ...(live.traffic.routes[`${r.function} ${r.routeKey}`] ?? NO_TRAFFIC) })), [live.routes, live.traffic]);
  const functions = useMemo(() => live.functions && live.functions.map((f) => ({ ...f, ...(live.traffic.functions[f.name] ?? NO_TRAFFIC) })), [live.functions, live.traffic]);
  if (route.page === 'routes') page = html`<${Routes} items=${routes} problem=${live.problems.routes} />`;
  else if (route.page === 'functions') page = html`<${Functions} items=${functions} selected=${route.arg} problem=${live.problems.functions} />`;
  else if (route.page === 'logs') page = html`<${Logs} fn=${route.arg} request=${route.query.get('request') ?? undefined} functions=${functions} logs=${live.logs} />`;
  else if (route.page === 'storage') page = html`<${Storage} kind=${route.arg} name=${route.arg2} />`;
  else page = html`<${Deployments} items=${live.deployments} problem=${live.problems.deployments} />`;
  return html`<div class="shell">
    <nav class="side">
      <div class="logo"><i></i>esb console</div>
      ${nav.map(([id, label, count]) => html`<a href="#/${id}" id="nav-${id}" class=${route.page === id ? 'active' : ''}><span>${label}</span>${count !== undefined && count !== null ? html`<span class="count">${count}</span>` : ''}</a>`)}
      <div class="live" id="live"><span class="dot ${live.connected ? 'on' : ''}"></span>${live.connected ? 'live' : 'reconnecting…'}</div>
    </nav>
    <main>${page}</main>
  </div>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
