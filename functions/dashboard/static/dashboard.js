// The dashboard: plain DOM, reads the status API of the app that serves it. Every value is written with
// textContent (event data never becomes markup). Endpoints a deployment lacks (404) hide their panel.
'use strict';

(() => {
  const api = new URL('../', document.baseURI); // the page lives at <prefix>/dashboard/
  const key = new URLSearchParams(location.search).get('code');
  const phaseOrder = [
    'WaitingForCapacity',
    'Pending',
    'Creating',
    'Watching',
    'Stopping',
    'CollectingLogs',
    'Deleting',
    'Settling',
    'Succeeded',
    'Requeued',
    'DeadLettered',
    'Cancelled',
    'Failed',
  ];
  const rejectedReasons = new Set(['InvalidEvent', 'NoRoute', 'UntrustedProperties']);
  const pageSize = 50;
  const $ = (id) => document.getElementById(id);
  const state = { tokens: [undefined], page: 0, nextToken: undefined, event: undefined, routes: new Set() };

  async function get(path) {
    const response = await fetch(new URL(path, api), { headers: key ? { 'x-functions-key': key } : {} });
    if (response.status === 404 && !path.startsWith('events/')) return { missing: true };
    const body = await response.json().catch(() => ({}));
    if (!response.ok && response.status !== 404)
      throw new Error(`${path}: HTTP ${response.status} ${body.error ?? ''}`);
    return { status: response.status, body };
  }

  async function post(path, body) {
    const headers = { 'content-type': 'application/json', ...(key ? { 'x-functions-key': key } : {}) };
    const response = await fetch(new URL(path, api), { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json().catch(() => ({})) };
  }

  // Every destructive action asks first, in a modal <dialog> naming exactly what will happen.
  function confirmAction(text, yesLabel) {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    $('confirm-yes').textContent = yesLabel;
    dialog.returnValue = '';
    dialog.showModal();
    return new Promise((resolve) =>
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true }),
    );
  }

  function showResult(id, ok, text) {
    $(id).textContent = text;
    $(id).className = `result ${ok ? 'ok' : 'bad'}`;
  }

  // Tables declare their columns in data-columns (`name#` is a number column); the head is built once here.
  function setHead(table, columns) {
    const tr = document.createElement('tr');
    for (const column of columns)
      tr.append(el('th', column.replace(/#$/, ''), column.endsWith('#') ? 'num' : undefined));
    (table.tHead ?? table.createTHead()).replaceChildren(tr);
  }
  function buildTables() {
    for (const table of document.querySelectorAll('table[data-columns]')) {
      setHead(table, table.dataset.columns.split(','));
      table.append(document.createElement('tbody'));
    }
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function row(cells, onClick) {
    const tr = document.createElement('tr');
    for (const cell of cells) tr.append(cell instanceof Node ? wrapTd(cell) : el('td', cell ?? ''));
    if (onClick) {
      tr.className = 'clickable';
      tr.addEventListener('click', onClick);
    }
    return tr;
  }
  function wrapTd(node) {
    const td = document.createElement('td');
    if (node.dataset && node.dataset.cell) td.className = node.dataset.cell;
    td.append(node);
    return td;
  }
  const phase = (name) => el('span', name, `phase phase-${name}`);
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
  const short = (id) => (id && id.length > 13 ? `${id.slice(0, 8)}…` : (id ?? ''));
  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return `${s}s`;
    const m = Math.floor(s / 60);
    return m < 90 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
  }
  function wrapText(text) {
    const span = el('span', text);
    span.dataset.cell = 'wrap';
    span.title = text ?? '';
    return span;
  }
  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  function renderSummary(overview) {
    const phases = phaseOrder.filter((p) => overview.routes.some((r) => r.counts[p]));
    const table = $('summary');
    setHead(table, ['route', ...phases.map((p) => `${p}#`), 'total#']);
    fill(
      table.tBodies[0],
      overview.routes.map((r) => {
        const tr = row([r.route]);
        for (const p of [...phases.map((name) => r.counts[name] ?? 0), r.total])
          tr.append(el('td', p, 'num'));
        return tr;
      }),
    );
    $('total').textContent = `${overview.total} attempts`;
    for (const r of overview.routes) addRouteOption(r.route);
  }

  function renderRunning(overview) {
    const now = Date.parse(overview.now);
    fill(
      $('running').tBodies[0],
      overview.running.map((job) => {
        const left = job.deadline ? Date.parse(job.deadline) - now : undefined;
        const deadline = el(
          'span',
          job.deadline ? `${time(job.deadline)} (${left < 0 ? 'passed' : `in ${duration(left)}`})` : '',
          left !== undefined && left < 0 ? 'late' : undefined,
        );
        return row(
          [
            job.route,
            `${job.attempt}/${job.maxAttempts ?? '?'}`,
            phase(job.phase),
            job.target ?? '',
            duration(now - Date.parse(job.createdTime)),
            deadline,
            short(job.eventId),
          ],
          job.eventId ? () => openEvent(job.eventId) : undefined,
        );
      }),
    );
    $('running-total').textContent =
      overview.runningTotal > overview.running.length
        ? `${overview.running.length} of ${overview.runningTotal}`
        : `${overview.runningTotal}`;
  }

  function addRouteOption(route) {
    if (state.routes.has(route)) return;
    state.routes.add(route);
    $('filter-route').append(new Option(route, route));
  }

  async function loadJobsPage() {
    const params = new URLSearchParams({ top: String(pageSize) });
    if ($('filter-route').value) params.set('route', $('filter-route').value);
    if ($('filter-phase').value) params.set('phase', $('filter-phase').value);
    const token = state.tokens[state.page];
    if (token) params.set('continuationToken', token);
    const result = await get(`jobs?${params}`);
    if (result.missing) return;
    const jobs = result.body.jobs ?? [];
    fill(
      $('jobs').tBodies[0],
      jobs.map((job) =>
        row(
          [
            time(job.createdTime),
            job.route,
            job.attempt,
            phase(job.phase),
            job.exitCode ?? '',
            wrapText((job.reason ?? '').split(':')[0]),
            short(job.eventId),
          ],
          job.eventId ? () => openEvent(job.eventId) : undefined,
        ),
      ),
    );
    state.nextToken = result.body.continuationToken ?? undefined;
    $('next-page').disabled = !state.nextToken;
    $('prev-page').disabled = state.page === 0;
    $('page-label').textContent = `page ${state.page + 1} · ${jobs.length} jobs`;
  }

  function attemptItem(job) {
    const li = el('li', undefined, job.phase);
    const title = el('div');
    title.append(
      el(
        'strong',
        `${job.route} · ${job.resubmission > 0 ? `resubmission ${job.resubmission} · ` : ''}` +
          `attempt ${job.attempt}${job.maxAttempts ? `/${job.maxAttempts}` : ''} `,
      ),
      phase(job.phase),
    );
    const steps = el('ul', undefined, 'steps');
    steps.append(el('li', `created ${time(job.createdTime)}${job.target ? ` on ${job.target}` : ''}`));
    steps.append(
      el('li', `${job.polls} poll${job.polls === 1 ? '' : 's'}, last update ${time(job.lastUpdatedTime)}`),
    );
    if (job.exitCode !== null) steps.append(el('li', `exit code ${job.exitCode}`));
    if (job.phase === 'Requeued')
      steps.append(
        el(
          'li',
          `requeued: ${job.description ?? ''}${job.nextAttemptAt ? ` — next attempt due ${time(job.nextAttemptAt)}` : ''}`,
        ),
      );
    if (job.reason && job.phase !== 'Requeued')
      steps.append(el('li', `${job.phase === 'DeadLettered' ? 'dead-lettered' : 'reason'}: ${job.reason}`));
    li.append(title, steps);
    const description = job.phase === 'DeadLettered' ? job.description : undefined;
    const log =
      job.logTail ??
      (description && description.includes('Log tail:\n') ? description.split('Log tail:\n')[1] : undefined);
    if (description) li.append(el('div', description.split('\nLog tail:')[0], 'muted'));
    if (log) li.append(el('pre', log, 'log'));
    return li;
  }

  async function openEvent(id) {
    state.event = id;
    $('event-panel').hidden = false;
    $('event-title').textContent = id;
    $('action-result').textContent = '';
    await refreshEvent();
  }

  async function refreshEvent() {
    if (!state.event) return;
    const result = await get(`events/${encodeURIComponent(state.event)}`);
    const items = [];
    for (const rejection of result.body.rejections ?? [])
      items.push(el('li', `rejected (${rejection.reason}): ${rejection.description ?? ''}`, 'DeadLettered'));
    for (const job of result.body.jobs ?? []) items.push(attemptItem(job));
    if (items.length === 0) {
      const dead = state.deadLetters?.find((d) => d.eventId === state.event);
      items.push(
        el(
          'li',
          dead ? `rejected (${dead.reason}): ${dead.description ?? ''}` : 'no jobs for this event (yet)',
          dead ? 'DeadLettered' : undefined,
        ),
      );
    }
    $('timeline').replaceChildren(...items);
  }

  async function cancelEvent() {
    const id = state.event;
    if (!id) return;
    const sure = await confirmAction(
      `Cancel event ${id}? Its running attempts are stopped and it is dead-lettered with reason Cancelled.`,
      'cancel the event',
    );
    if (!sure) return;
    const r = await post(`events/${encodeURIComponent(id)}/cancel`, { by: 'dashboard' });
    if (r.status === 404 && !r.body.eventId)
      showResult('action-result', false, 'cancel is not available on this deployment');
    else
      showResult(
        'action-result',
        r.status < 300,
        `${r.status}: ${r.body.message ?? r.body.error ?? r.body.outcome ?? 'requested'}`,
      );
    await refreshEvent();
  }

  // POST /api/deadletters/{sequenceNumber}/resubmit: the same signed resubmission as `dispatcher dlq resubmit`.
  async function resubmit(entry) {
    const what = entry.eventId ? `event ${entry.eventId}` : `dead letter ${entry.sequenceNumber}`;
    const sure = await confirmAction(
      `Resubmit ${what} (${entry.reason ?? 'no reason'}${entry.route ? `, route ${entry.route}` : ''})? ` +
        'It goes back to the queue as a new generation from attempt 1 and leaves the dead-letter queue.',
      'resubmit',
    );
    if (!sure) return;
    const r = await post(`deadletters/${encodeURIComponent(entry.sequenceNumber)}/resubmit`, {});
    if (r.status === 200) {
      showResult(
        'dlq-result',
        true,
        `resubmitted ${what}: generation ${r.body.resubmission}, attempt ${r.body.attempt}` +
          `${r.body.route ? ` on ${r.body.route}` : ''}`,
      );
      if (entry.eventId) void openEvent(entry.eventId);
    } else if (r.status === 404 && !r.body.sequenceNumber)
      showResult('dlq-result', false, 'resubmit is not available on this deployment');
    else showResult('dlq-result', false, `${what} not resubmitted (HTTP ${r.status}): ${r.body.error ?? ''}`);
    await refreshDeadLetters();
  }

  function resubmitButton(entry) {
    const button = el('button', 'resubmit…', 'resubmit');
    button.type = 'button';
    button.addEventListener('click', (e) => {
      e.stopPropagation(); // the row's own click opens the event
      resubmit(entry).catch((err) => showResult('dlq-result', false, err.message));
    });
    return button;
  }

  function renderDeadLetters(entries) {
    state.deadLetters = entries;
    const rejected = entries.filter((d) => rejectedReasons.has(d.reason));
    fill(
      $('rejected').tBodies[0],
      rejected.map((d) =>
        row(
          [
            time(d.enqueuedTime),
            short(d.eventId),
            d.eventType ?? '',
            d.reason ?? '',
            wrapText(d.description ?? ''),
          ],
          d.eventId ? () => openEvent(d.eventId) : undefined,
        ),
      ),
    );
    $('rejected-total').textContent = `${rejected.length}`;
    fill(
      $('dlq').tBodies[0],
      entries.map((d) =>
        row(
          [
            time(d.enqueuedTime),
            short(d.eventId),
            d.route ?? '',
            d.attempt ?? '',
            d.reason ?? '',
            // A body that is no event cannot be resubmitted as it is (the API would answer 422).
            d.eventId ? resubmitButton(d) : '',
            wrapText((d.description ?? '').split('\nLog tail:')[0]),
          ],
          d.eventId ? () => openEvent(d.eventId) : undefined,
        ),
      ),
    );
    $('dlq-total').textContent = `${entries.length}${entries.length >= 100 ? '+' : ''}`;
  }

  // GET /api/stats (when the app has it): events received per route and why attempts were dead-lettered.
  function renderStats(body) {
    const routes = body.routes ?? [];
    $('stats-panel').hidden = routes.length === 0;
    fill(
      $('stats').tBodies[0],
      routes.map((r) => {
        const reasons = Object.entries(r.deadLettered?.byReason ?? {})
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', ');
        const tr = row([r.route]);
        tr.append(el('td', r.received ?? '', 'num'), el('td', reasons));
        return tr;
      }),
    );
  }

  function renderTargets(body) {
    const targets = body.targets ?? [];
    $('targets-panel').hidden = targets.length === 0;
    fill(
      $('targets').tBodies[0],
      targets.map((t) => row([t.target ?? t.name ?? '', t.inUse ?? '', t.waiting ?? '', t.limit ?? ''])),
    );
  }

  async function refreshDeadLetters() {
    const r = await get('deadletters?top=100');
    if (r.missing) {
      $('dlq-panel').hidden = true;
      $('rejected-panel').hidden = true;
      return;
    }
    renderDeadLetters(r.body.entries ?? []);
  }

  async function refresh() {
    const problems = [];
    const settle = async (name, work) => {
      try {
        await work();
      } catch (err) {
        problems.push(`${name}: ${err.message}`);
      }
    };
    await Promise.all([
      settle('overview', async () => {
        const r = await get('overview');
        if (r.missing) {
          $('summary-panel').hidden = true;
          $('running-panel').hidden = true;
          return;
        }
        renderSummary(r.body);
        renderRunning(r.body);
      }),
      settle('jobs', loadJobsPage),
      settle('dead letters', refreshDeadLetters),
      settle('stats', async () => {
        const r = await get('stats');
        if (!r.missing) renderStats(r.body);
      }),
      settle('targets', async () => {
        const r = await get('targets');
        if (!r.missing) renderTargets(r.body);
      }),
    ]);
    await settle('event', refreshEvent);
    $('problem').hidden = problems.length === 0;
    $('problem').textContent = problems.join(' · ');
    $('refreshed').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.refreshed = String(Date.now());
  }

  function resetPaging() {
    state.tokens = [undefined];
    state.page = 0;
    loadJobsPage().catch((err) => ($('problem').textContent = err.message));
  }

  function start() {
    buildTables();
    for (const p of phaseOrder) $('filter-phase').append(new Option(p, p));
    $('filter-route').addEventListener('change', resetPaging);
    $('filter-phase').addEventListener('change', resetPaging);
    $('next-page').addEventListener('click', () => {
      state.tokens[state.page + 1] = state.nextToken;
      state.page++;
      void loadJobsPage();
    });
    $('prev-page').addEventListener('click', () => {
      state.page = Math.max(0, state.page - 1);
      void loadJobsPage();
    });
    $('jobs-filter').addEventListener('submit', (e) => {
      e.preventDefault();
      const id = $('event-id').value.trim();
      if (id) void openEvent(id);
    });
    $('cancel-event').addEventListener('click', () =>
      cancelEvent().catch((err) => showResult('action-result', false, err.message)),
    );
    const tick = async () => {
      if ($('live').checked) await refresh();
      setTimeout(tick, 2000);
    };
    void tick();
  }

  start();
})();
