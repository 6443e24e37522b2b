import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { isNotFound } from '../../shared/errors/isNotFound';
import { classifyStorageError } from '../storage/classifyStorageError';
import type { BlobRef, BlobStore, BlobWriteOptions } from './blobStore';

export interface AzureBlobStoreOptions {
  client: BlobServiceClient;
  /**
   * Create a missing container on first use. For the emulator only: in Azure infra creates the containers and
   * the app's data role is scoped to them, so the app could not create one (and should not).
   */
  createContainers?: boolean;
}

/** {@link BlobStore} over `@azure/storage-blob` (Azure Storage, or Azurite offline). */
export class AzureBlobStore implements BlobStore {
  private readonly client: BlobServiceClient;
  private readonly createContainers: boolean;
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(options: AzureBlobStoreOptions) {
    this.client = options.client;
    this.createContainers = options.createContainers ?? false;
  }

  async write(
    ref: BlobRef,
    content: string | Uint8Array,
    options: BlobWriteOptions = {},
  ): Promise<{ url: string }> {
    const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const contentType =
      options.contentType ??
      (typeof content === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream');
    const container = await this.container(ref.container);
    const blob = container.getBlockBlobClient(ref.name);
    try {
      await blob.uploadData(body, {
        blobHTTPHeaders: { blobContentType: contentType },
        ...(options.metadata ? { metadata: options.metadata } : {}),
      });
    } catch (err) {
      throw classifyStorageError(err, `write blob ${describe(ref)}`);
    }
    return { url: blob.url };
  }

  async read(ref: BlobRef): Promise<Buffer | undefined> {
    try {
      return await this.client.getContainerClient(ref.container).getBlobClient(ref.name).downloadToBuffer();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classifyStorageError(err, `read blob ${describe(ref)}`);
    }
  }

  url(ref: BlobRef): string {
    return this.client.getContainerClient(ref.container).getBlobClient(ref.name).url;
  }

  async delete(ref: BlobRef): Promise<boolean> {
    try {
      const blob = this.client.getContainerClient(ref.container).getBlobClient(ref.name);
      return (await blob.deleteIfExists({ deleteSnapshots: 'include' })).succeeded;
    } catch (err) {
      if (isNotFound(err)) return false; // the container is missing
      throw classifyStorageError(err, `delete blob ${describe(ref)}`);
    }
  }

  /** The container client, created once per process when allowed (a failed attempt is tried again later). */
  private async container(name: string): Promise<ContainerClient> {
    const container = this.client.getContainerClient(name);
    if (!this.createContainers) return container;
    let ensured = this.ensured.get(name);
    if (!ensured) {
      ensured = container.createIfNotExists().then(
        () => undefined,
        (err: unknown) => {
          this.ensured.delete(name);
          throw classifyStorageError(err, `create container ${name}`);
        },
      );
      this.ensured.set(name, ensured);
    }
    await ensured;
    return container;
  }
}

function describe(ref: BlobRef): string {
  return `${ref.container}/${ref.name}`;
}
