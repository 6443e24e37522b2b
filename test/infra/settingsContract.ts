import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The settings contract the template must satisfy, as docs/settings.md states it.

/**
 * Settings docs/settings.md marks as required in Azure: rows whose "required" column is `yes`
 * or `yes in Azure`, plus the `infra` rows. Names are the backticked words of the first column.
 */
export function settingsContract(root: string): { required: string[]; documented: string[] } {
  const text = readFileSync(join(root, 'docs', 'settings.md'), 'utf8');
  const required: string[] = [];
  const documented: string[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]?.startsWith('`')) continue;
    const raw = [...(cells[1] ?? '').matchAll(/`([A-Za-z0-9_]+)`/g)].map((m) => m[1] as string);
    // `__clientId` after `ServiceBusConnection` means ServiceBusConnection__clientId.
    const base = raw.find((n) => !n.startsWith('__'))?.replace(/__.*$/, '') ?? '';
    const names = raw.map((n) => (n.startsWith('__') ? `${base}${n}` : n));
    documented.push(...names);
    const need = cells[2] ?? '';
    if (need === 'yes' || need === 'yes in Azure' || need === 'infra') required.push(...names);
  }
  return { required, documented };
}
