import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../../devhost/dev/startAzurite';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of this process's children running Azurite (Linux /proc). */
function azuriteChildren(): number[] {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8');
  return children
    .split(' ')
    .map(Number)
    .filter((pid) => {
      try {
        return pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('azurite');
      } catch {
        return false; // exited meanwhile
      }
    });
}

async function writeAndReadBlob(connectionString: string, text: string): Promise<string> {
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('probe');
  await container.createIfNotExists();
  const blob = container.getBlockBlobClient('a/b.txt');
  if (text !== '') await blob.upload(text, Buffer.byteLength(text));
  return (await blob.downloadToBuffer()).toString();
}

describe('startAzurite', () => {
  test('serves Blob and Table to the official SDKs on free ports and its process is gone after close', async () => {
    const azurite = await startAzurite();
    try {
      expect(azurite.connectionString).toMatch(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;/);
      expect(azurite.blobEndpoint).not.toContain(':10000/');
      expect(await writeAndReadBlob(azurite.connectionString, 'hello')).toBe('hello');

      const table = TableClient.fromConnectionString(azurite.connectionString, 'probe', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 42 });
      expect((await table.getEntity<{ value: number }>('p', 'r')).value).toBe(42);
    } finally {
      await azurite.close();
    }
    expect(isAlive(azurite.pid)).toBe(false);
  });

  test('with a state directory, blobs survive a restart, on the same (remembered) ports', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'azurite-state-'));
    try {
      const first = await startAzurite({ stateDir });
      try {
        await writeAndReadBlob(first.connectionString, 'kept');
      } finally {
        await first.close();
      }
      // Blob URLs recorded before the restart (job logs) must still resolve.
      const second = await startAzurite({ stateDir });
      try {
        expect(second.connectionString).toBe(first.connectionString);
        expect(await writeAndReadBlob(second.connectionString, '')).toBe('kept');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('a remembered port that was taken meanwhile is given up for a free one', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'azurite-state-'));
    try {
      const first = await startAzurite({ stateDir });
      await first.close();
      const squatter = await startAzurite({ blobPort: Number(new URL(first.blobEndpoint).port) });
      try {
        const second = await startAzurite({ stateDir });
        expect(second.blobEndpoint).not.toBe(first.blobEndpoint);
        await second.close();
      } finally {
        await squatter.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('a busy port is reported with Azurite output, and nothing is left running', async () => {
    const first = await startAzurite();
    try {
      const blobPort = Number(new URL(first.blobEndpoint).port);
      await expect(startAzurite({ blobPort })).rejects.toThrow(
        /azurite exited before it was ready[\s\S]*EADDRINUSE/,
      );
      expect(azuriteChildren()).toEqual([first.pid]);
    } finally {
      await first.close();
    }
  });
});
