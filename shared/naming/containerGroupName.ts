/** ACI limit for container group names. */
export const MAX_CONTAINER_GROUP_NAME = 63;

/**
 * The container group name for an orchestration instance: lower-case letters, digits and single hyphens,
 * not starting or ending with a hyphen, at most 63 characters (ACI's rules). Pure string work with no
 * Node built-ins, so the orchestrator can call it during replay.
 */
export function containerGroupNameFor(instanceId: string): string {
  const clean = instanceId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
  if (clean.length <= MAX_CONTAINER_GROUP_NAME) return clean || 'dispatch-job';
  // Keep the tail (hash, generation, attempt) that makes the name unique; shorten the route part.
  const tail =
    /-[0-9a-f]{16}(?:-g\d+)?-a\d+$/.exec(clean)?.[0] ?? clean.slice(-(MAX_CONTAINER_GROUP_NAME - 1));
  const head = clean.slice(0, MAX_CONTAINER_GROUP_NAME - tail.length).replace(/-+$/, '');
  return `${head}${tail}`.replace(/^-+/, '');
}
