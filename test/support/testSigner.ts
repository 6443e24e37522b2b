import { DispatchSigner } from '../../shared/signing/dispatchSigner';

/** The signing key test settings carry (DISPATCH_SIGNING_KEY), and a signer over it. */
export const TEST_SIGNING_KEY = Buffer.alloc(32, 0x5a).toString('base64');
export const testSigner = new DispatchSigner({ current: Buffer.from(TEST_SIGNING_KEY, 'base64') });
