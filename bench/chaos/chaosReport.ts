import { fmt, markdownTable, metMark } from '../markdownTable';
import type { ScenarioResult } from './chaosRun';

/** The `bench/results.md` section name (between `<!-- bench:chaos -->` markers). */
export const chaosSection = 'chaos';

function reasons(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '0' : entries.map(([r, n]) => `${r} ${fmt(n)}`).join(', ');
}

/** The chaos table, the targets and every finding, as markdown. */
export function renderChaosSection(
  results: ScenarioResult[],
  options: { machine: string; command: string },
): string {
  const rows = results.map((r) => [
    r.scenario,
    fmt(r.sent),
    fmt(r.validEvents),
    fmt(r.succeeded),
    fmt(r.requeued),
    reasons(r.deadLettered),
    fmt(r.lost),
    fmt(r.extraRuns),
    fmt(r.unseenRuns),
    r.leakedGroups === undefined ? 'unknown' : fmt(r.leakedGroups),
    fmt(r.crashes),
    fmt(r.deadLettersWithoutDispatcherReason),
    fmt(r.seconds, 1),
  ]);
  const sum = (f: (r: ScenarioResult) => number): number => results.reduce((s, r) => s + f(r), 0);
  const targets: Array<[string, number]> = [
    ['Lost (valid events with neither a Succeeded settlement nor a dead letter)', sum((r) => r.lost)],
    ['Job runs beyond one per attempt (a container group that ran twice)', sum((r) => r.extraRuns)],
    [
      'Jobs run again after an attempt settled without seeing them end (no exit code)',
      sum((r) => r.unseenRuns),
    ],
    ['Leaked container groups at the end', sum((r) => r.leakedGroups ?? Number.NaN)],
    ['Stack crashes (dispatcher dev or an emulator child dying unasked)', sum((r) => r.crashes)],
    ['Dead letters without a dispatcher reason', sum((r) => r.deadLettersWithoutDispatcherReason)],
    [
      'Other findings (forged properties obeyed, poison not dead-lettered, emulators not restarted, ...)',
      sum((r) => r.findings.length),
    ],
  ];
  const findings = results.flatMap((r) => [...r.details, ...r.findings].map((f) => `- ${r.scenario}: ${f}`));
  const refused = results.filter((r) => r.refused > 0).map((r) => `${r.scenario} ${fmt(r.refused)}`);
  return [
    '## Chaos',
    '',
    `\`${options.command}\` (bench/chaos/; short versions in \`test/chaos\` run in \`npm test\`). Each scenario starts`,
    '`node bin/dispatcher.js dev --state <dir>` as a process group of its own and drives it only from outside:',
    "the Service Bus SDK (sends; settlements from the results topic `observer` subscription; the dispatch queue's",
    'dead-letter queue), signals, and the ARM SDK to list the container groups left at the end. Every job run',
    'appends `<group> <pid> <event>` to a file, so runs beyond one per attempt (group) are counted exactly.',
    'crash: kill -9 of the whole process group twice mid-run, restarted on the same state. faults:',
    '`--aci-faults create=0.3,get=0.3,delete=0.1,kinds=429|500|503|reset|lost-response`. restarts: SIGKILL of the ACI',
    'emulator child, later of the Service Bus emulator child. duplicates: each event sent twice under two',
    "MessageIds, and ids sent from two sources. fuzz: the parser tests' hostile corpus, property attacks and",
    'seeded mutations. Every tenth valid event fails its first attempt (requeues).',
    '',
    markdownTable(
      [
        'Scenario',
        'Sent',
        'Valid events',
        'Succeeded',
        'Requeued',
        'Dead-lettered by reason',
        'Lost',
        'Runs beyond one per attempt',
        'Reruns of unseen runs',
        'Leaked groups',
        'Stack crashes',
        'Dead letters without dispatcher reason',
        'Seconds',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    'Targets (all scenarios):',
    '',
    markdownTable(
      ['Target', 'Goal', 'Measured', 'Result'],
      targets.map(([name, n]) => [
        name,
        '0',
        Number.isNaN(n) ? 'unknown (ARM unreachable at the end)' : fmt(n),
        metMark(n === 0),
      ]),
    ),
    '',
    ...(refused.length > 0
      ? [
          `Refused by the SDK or the broker before reaching the dispatcher (not counted as sent): ${refused.join(', ')}.`,
          '',
        ]
      : []),
    findings.length > 0 ? 'Findings:' : 'Findings: none.',
    ...(findings.length > 0 ? ['', ...findings] : []),
    '',
    `_Measured ${options.machine}._`,
  ].join('\n');
}

const marker = (name: string, end = false): string => `<!-- ${end ? '/' : ''}bench:${name} -->`;

/** Puts `content` between the section's markers in `existing` (appended when the section is new). */
export function replaceSection(existing: string, name: string, content: string): string {
  const block = `${marker(name)}\n${content}\n${marker(name, true)}`;
  const start = existing.indexOf(marker(name));
  const end = existing.indexOf(marker(name, true));
  if (start >= 0 && end > start)
    return `${existing.slice(0, start)}${block}${existing.slice(end + marker(name, true).length)}`;
  return `${existing.replace(/\n*$/, '')}\n\n${block}\n`;
}
