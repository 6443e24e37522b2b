import { MAX_CALLBACK_OUTPUT_BYTES } from '../callbacks/callbackRoute';

/** The environment variable naming the file a job may write its output to (routes with `job.outputFile`). */
export const DISPATCH_OUTPUT_FILE_ENV = 'DISPATCH_OUTPUT_FILE';

/** The largest output file reported: the callback's limit, so both ways give the same bound downstream. */
export const MAX_OUTPUT_FILE_BYTES = MAX_CALLBACK_OUTPUT_BYTES;

/** Every report line starts with this (versioned, so a later encoding can be told apart). */
export const OUTPUT_REPORT_MARKER = '@@dispatch-output v1';

/** Hex digits per data line: 96 bytes, well below any log driver's line limit (ACI splits very long lines). */
const HEX_PER_LINE = 192;

/** The most lines a complete report takes (begin, data, end): a log tail this long holds the whole report. */
export const OUTPUT_REPORT_MAX_LINES = Math.ceil(MAX_OUTPUT_FILE_BYTES / (HEX_PER_LINE / 2)) + 2;

/**
 * The POSIX `sh` epilogue the job's command runs under. It runs the command as a child (forwarding TERM and INT
 * so the job still sees a stop), keeps its exit code, then prints DISPATCH_OUTPUT_FILE at the end of the log:
 * a `begin <size> <cksum>` line, the bytes hex-encoded by `od` in `data` lines, an `end` line. `cksum` (POSIX
 * CRC-32 and length) lets the reader tell a complete copy from a cut or garbled one. Only `sh`, `od`, `awk`
 * and `cksum` are needed: busybox and coreutils images have them, nothing needs the network or a credential.
 */
export const OUTPUT_EPILOGUE_SCRIPT = [
  `trap 'kill -TERM "$dispatch_child" 2>/dev/null' TERM INT`,
  `"$@" &`,
  `dispatch_child=$!`,
  `wait "$dispatch_child"`,
  `dispatch_exit=$?`,
  // A trapped signal ends `wait` early; wait again for the job's own exit code.
  `while kill -0 "$dispatch_child" 2>/dev/null; do wait "$dispatch_child"; dispatch_exit=$?; done`,
  `dispatch_file=$DISPATCH_OUTPUT_FILE`,
  `if [ ! -f "$dispatch_file" ]; then`,
  `  printf '%s missing\\n' '${OUTPUT_REPORT_MARKER}'`,
  `elif ! dispatch_sum=$(cksum < "$dispatch_file"); then`,
  `  printf '%s unreadable\\n' '${OUTPUT_REPORT_MARKER}'`,
  `else`,
  `  set -- $dispatch_sum`,
  `  if [ "$2" -gt ${MAX_OUTPUT_FILE_BYTES} ]; then`,
  `    printf '%s too-big %s\\n' '${OUTPUT_REPORT_MARKER}' "$2"`,
  `  else`,
  `    printf '%s begin %s %s\\n' '${OUTPUT_REPORT_MARKER}' "$2" "$1"`,
  `    od -An -v -tx1 < "$dispatch_file" | awk -v p='${OUTPUT_REPORT_MARKER} data ' '` +
    `{ for (i = 1; i <= NF; i++) { s = s $i; if (length(s) >= ${HEX_PER_LINE}) { print p s; s = "" } } } ` +
    `END { if (s != "") print p s }'`,
  `    printf '%s end\\n' '${OUTPUT_REPORT_MARKER}'`,
  `  fi`,
  `fi`,
  `exit "$dispatch_exit"`,
].join('\n');

/** The argv that runs `command` under the epilogue (`$0` names the wrapper in the shell's own messages). */
export function wrapCommandForOutputFile(command: readonly string[]): string[] {
  return ['/bin/sh', '-c', OUTPUT_EPILOGUE_SCRIPT, 'dispatch-output', ...command];
}
