/**
 * The little logging the adapters do (what was created, reused, deleted). Structurally compatible with
 * `console` and with @azure/functions' InvocationContext (`log`/`warn`), so callers pass either. Messages
 * never contain secret values, tokens or event bodies.
 */
export interface AdapterLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: AdapterLogger = {
  info: () => undefined,
  warn: () => undefined,
};
