/** What job callbacks need from the settings (see docs/settings.md). */
export interface CallbackSettings {
  /** DISPATCH_SIGNING_KEY, decoded; absent when unset. Never log it. */
  signingKey?: Buffer;
  /** Where jobs POST their callback: `<base>/callbacks/<instanceId>` (no trailing slash); unset when unknown. */
  baseUrl?: string;
}

/** A key shorter than SHA-256's output would weaken the HMAC below its own strength. */
export const MIN_SIGNING_KEY_BYTES = 32;

/**
 * Reads DISPATCH_SIGNING_KEY and DISPATCH_CALLBACK_BASE_URL. The base URL defaults to the app's own host name
 * (WEBSITE_HOSTNAME, set by the platform in Azure and by the local host offline): https in Azure, http locally.
 */
export function readCallbackSettings(
  get: (name: string) => string | undefined,
  issues: string[],
  runningInAzure: boolean,
): CallbackSettings {
  // DISPATCH_SIGNING_KEY is validated (and a bad one reported) by the signing keys' reader; callbacks only
  // derive their own key from a valid one.
  const keyText = get('DISPATCH_SIGNING_KEY');
  const decoded =
    keyText !== undefined && /^[A-Za-z0-9+/_-]+={0,2}$/.test(keyText)
      ? Buffer.from(keyText, 'base64')
      : undefined;
  const signingKey = decoded && decoded.length >= MIN_SIGNING_KEY_BYTES ? decoded : undefined;

  // The platform sets WEBSITE_HOSTNAME on every Functions instance, the local host sets it too; without it
  // (and without an explicit setting) there is no URL to give a job, which only callback routes need.
  const host = get('WEBSITE_HOSTNAME');
  const explicit = get('DISPATCH_CALLBACK_BASE_URL');
  const derived = host !== undefined ? `${runningInAzure ? 'https' : 'http'}://${host}/api` : undefined;
  const baseUrl = (explicit ?? derived)?.replace(/\/+$/, '');
  if (explicit !== undefined && baseUrl !== undefined) {
    const protocol = parseProtocol(baseUrl);
    if (protocol !== 'https:' && protocol !== 'http:') {
      issues.push(
        `DISPATCH_CALLBACK_BASE_URL: expected an http(s) URL such as https://<app>.azurewebsites.net/api, got "${baseUrl}"`,
      );
    } else if (runningInAzure && protocol !== 'https:') {
      // The token travels in the Authorization header: never in clear over the internet.
      issues.push(
        `DISPATCH_CALLBACK_BASE_URL: expected an https URL when running in Azure, got "${baseUrl}"`,
      );
    }
  }
  return { ...(signingKey ? { signingKey } : {}), ...(baseUrl !== undefined ? { baseUrl } : {}) };
}

function parseProtocol(text: string): string | undefined {
  try {
    return new URL(text).protocol;
  } catch {
    return undefined;
  }
}
