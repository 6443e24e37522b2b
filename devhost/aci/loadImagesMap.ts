import * as fs from 'node:fs';

/**
 * Validates an images map (`{ "<image>": ["argv0", "arg", ...] }`): what a container of that image runs when its
 * group gives no `command`. `source` names where it came from for the error message.
 */
export function parseImagesMap(value: unknown, source: string): Map<string, string[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `${source}: expected a JSON object mapping image names to argv arrays, e.g. { "myjob:1": ["node", "/abs/job.js"] }`,
    );
  }
  const images = new Map<string, string[]>();
  for (const [image, argv] of Object.entries(value as Record<string, unknown>)) {
    if (
      !Array.isArray(argv) ||
      argv.length === 0 ||
      !argv.every((part) => typeof part === 'string' && part.length > 0)
    ) {
      throw new Error(
        `${source}: entry "${image}" must be a non-empty array of non-empty strings (the argv to run)`,
      );
    }
    images.set(image, argv as string[]);
  }
  return images;
}

export function loadImagesMap(file: string): Map<string, string[]> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `images file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`images file ${file}: invalid JSON (${(err as Error).message})`);
  }
  return parseImagesMap(parsed, `images file ${file}`);
}
