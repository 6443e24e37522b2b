// The dashboard: plain DOM (ES modules, no framework), reads the status API of the app that serves it.
// Endpoints a deployment lacks (404) hide their panel.
import { get, post } from './api.js';
import { deadLetterFor, onOpenEvent, refreshDeadLetters } from './deadLetterPanel.js';
import { renderStats, renderTargets } from './statsPanels.js';
import {
  $,
  buildTables,
  confirmAction,
  duration,
  el,
  fill,
  phase,
  row,
  setHead,
  short,
  showResult,
  time,
  wrapText,
} from './dom.js';

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
const pageSize = 50;
const state = { tokens: [undefined], page: 0, nextToken: undefined, event: undefined, routes: new Set() };

function renderSummary(overview) {
  const phases = phaseOrder.filter((p) => overview.routes.some((r) => r.counts[p]));
  const table = $('summary');
  setHead(table, ['route', ...phases.map((p) => `${p}#`), 'total#']);
  fill(
    table.tBodies[0],
    overview.routes.map((r) => {
      const tr = row([r.route]);
      for (const p of [...phases.map((name) => r.counts[name] ?? 0), r.total]) tr.append(el('td', p, 'num'));
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
  if (job.logUrl) steps.append(el('li', `full log: ${job.logUrl}`));
  li.append(title, steps);
  // What the job handed back (callback or output file), or why its output file gave none.
  if (job.output !== null && job.output !== undefined)
    li.append(el('pre', `result: ${JSON.stringify(job.output, null, 2)}`, 'output'));
  else if (job.outputError) li.append(el('div', `no result: ${job.outputError}`, 'muted'));
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
    const dead = deadLetterFor(state.event);
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
  onOpenEvent((id) => void openEvent(id));
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
