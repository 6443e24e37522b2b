// The rejected-events and dead-letter panels (GET /api/deadletters) and the resubmit action.
import { get, post } from './api.js';
import { $, confirmAction, fill, row, short, showResult, time, wrapText, el } from './dom.js';

const rejectedReasons = new Set(['InvalidEvent', 'NoRoute', 'UntrustedProperties']);
let entries = [];
let openEvent = () => undefined;

/** The dead letter of an event, when the queue holds one (a rejected event has no jobs to show). */
export function deadLetterFor(eventId) {
  return entries.find((d) => d.eventId === eventId);
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

function renderDeadLetters(list) {
  entries = list;
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

export async function refreshDeadLetters() {
  const r = await get('deadletters?top=100');
  if (r.missing) {
    $('dlq-panel').hidden = true;
    $('rejected-panel').hidden = true;
    return;
  }
  renderDeadLetters(r.body.entries ?? []);
}

/** Where a click on a row (or a resubmitted event) goes: the event timeline. */
export function onOpenEvent(open) {
  openEvent = open;
}
