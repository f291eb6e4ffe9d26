// Stand-in for `jsr:@std/io` `writeAll` (jsr.io is unreachable where this project installs).
// Used by deno-runtime/lib/messenger.ts (stdout) and lib/metricsCollector.ts (stderr):
// a single `write` may write fewer bytes than asked, so loop until every byte is out.

export interface Writer {
  write(p: Uint8Array): Promise<number>;
}

export async function writeAll(writer: Writer, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) {
    written += await writer.write(data.subarray(written));
  }
}
