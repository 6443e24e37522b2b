/**
 * A container's output (stdout and stderr interleaved in arrival order), bounded in memory: once over
 * `maxChars` the oldest text is dropped, like a log driver's rotation.
 */
export class LogBuffer {
  private text = '';

  constructor(private readonly maxChars = 1024 * 1024) {}

  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.maxChars) {
      const cut = this.text.length - this.maxChars;
      // Drop whole lines so the first retained line is not a fragment.
      const newline = this.text.indexOf('\n', cut);
      this.text = newline === -1 ? this.text.slice(cut) : this.text.slice(newline + 1);
    }
  }

  /** All retained output, or only the last `tail` lines. */
  read(tail?: number): string {
    if (tail === undefined) return this.text;
    if (tail <= 0) return '';
    const endsWithNewline = this.text.endsWith('\n');
    const lines = (endsWithNewline ? this.text.slice(0, -1) : this.text).split('\n');
    if (lines.length === 1 && lines[0] === '') return '';
    return lines.slice(-tail).join('\n') + (endsWithNewline ? '\n' : '');
  }

  snapshot(): string {
    return this.text;
  }
}
