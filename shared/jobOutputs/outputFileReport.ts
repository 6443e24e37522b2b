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

/** Reads `od` hex bytes, prints them in `data` lines, ends with `end <bytes> <Adler-32>`: arithmetic only, any awk. */
const HEX_TO_REPORT_AWK = [
  `BEGIN { h = "0123456789abcdef"; a = 1; b = 0; n = 0 }`,
  `{ for (i = 1; i <= NF; i++) {`,
  `    v = (index(h, substr($i, 1, 1)) - 1) * 16 + index(h, substr($i, 2, 1)) - 1`,
  `    a = (a + v) % 65521; b = (b + a) % 65521; n++`,
  `    s = s $i; if (length(s) >= ${HEX_PER_LINE}) { print p " data " s; s = "" } } }`,
  `END { if (s != "") print p " data " s; printf "%s end %d %.0f\\n", p, n, b * 65536 + a }`,
].join('\n');

/**
 * The POSIX `sh` epilogue the job's command runs under. It runs the command as a child (forwarding TERM and INT
 * so the job still sees a stop), keeps its exit code, then prints DISPATCH_OUTPUT_FILE at the end of the log:
 * `begin <size>`, the bytes hex-encoded by `od` in `data` lines, `end <bytes> <Adler-32>`, so the reader can
 * tell a complete copy from a cut or garbled one. Only `sh`, `wc`, `od` and `awk` are needed (the checksum is
 * computed by awk, as `cksum` is missing from some busybox builds); nothing needs the network or a credential.
 */
export const OUTPUT_EPILOGUE_SCRIPT = [
  // A signal that comes before the child's pid is known is remembered and passed on once it is.
  `dispatch_child=`,
  `dispatch_stop=`,
  `trap 'dispatch_stop=1; [ -z "$dispatch_child" ] || kill -TERM "$dispatch_child" 2>/dev/null' TERM INT`,
  `"$@" &`,
  `dispatch_child=$!`,
  `[ -z "$dispatch_stop" ] || kill -TERM "$dispatch_child" 2>/dev/null`,
  `wait "$dispatch_child"`,
  `dispatch_exit=$?`,
  // A trapped signal ends `wait` early; wait again for the job's own exit code.
  `while kill -0 "$dispatch_child" 2>/dev/null; do wait "$dispatch_child"; dispatch_exit=$?; done`,
  `dispatch_file=$DISPATCH_OUTPUT_FILE`,
  `if [ ! -f "$dispatch_file" ]; then`,
  `  printf '%s missing\\n' '${OUTPUT_REPORT_MARKER}'`,
  `elif ! dispatch_size=$(wc -c < "$dispatch_file"); then`,
  `  printf '%s unreadable\\n' '${OUTPUT_REPORT_MARKER}'`,
  `else`,
  // Unquoted on purpose: some wc implementations pad the number with blanks.
  `  set -- $dispatch_size`,
  `  if [ "$1" -gt ${MAX_OUTPUT_FILE_BYTES} ]; then`,
  `    printf '%s too-big %s\\n' '${OUTPUT_REPORT_MARKER}' "$1"`,
  `  else`,
  `    printf '%s begin %s\\n' '${OUTPUT_REPORT_MARKER}' "$1"`,
  `    od -An -v -tx1 < "$dispatch_file" | awk -v p='${OUTPUT_REPORT_MARKER}' '${HEX_TO_REPORT_AWK}'`,
  `  fi`,
  `fi`,
  `exit "$dispatch_exit"`,
].join('\n');

/** The argv that runs `command` under the epilogue (`$0` names the wrapper in the shell's own messages). */
export function wrapCommandForOutputFile(command: readonly string[]): string[] {
  return ['/bin/sh', '-c', OUTPUT_EPILOGUE_SCRIPT, 'dispatch-output', ...command];
}
