/** A blob: its container (a setting, e.g. `job-logs`) and its name inside it (`<route>/<eventId>/a1.log`). */
export interface BlobRef {
  container: string;
  name: string;
}

export interface BlobWriteOptions {
  /** Default `text/plain; charset=utf-8` for strings, `application/octet-stream` for bytes. */
  contentType?: string;
  /** Blob metadata (names: C# identifiers; values: ASCII). Never secrets. */
  metadata?: Record<string, string>;
}

/**
 * The app's port to Blob Storage (job logs, large events and outputs). URLs it returns are plain blob URLs,
 * never carrying a SAS: reading one takes a data role (or the emulator's account key), so they are safe to
 * show in the status API, result events and dead-letter descriptions.
 */
export interface BlobStore {
  /** Creates or replaces the blob; returns its URL. */
  write(ref: BlobRef, content: string | Uint8Array, options?: BlobWriteOptions): Promise<{ url: string }>;
  /** The blob's bytes, or undefined when it (or its container) does not exist. */
  read(ref: BlobRef): Promise<Buffer | undefined>;
  /** The blob's URL (whether it exists or not). */
  url(ref: BlobRef): string;
  /** Deletes the blob; false when there was none. */
  delete(ref: BlobRef): Promise<boolean>;
}
