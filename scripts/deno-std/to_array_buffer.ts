// Stand-in for `jsr:@std/streams` `toArrayBuffer` (jsr.io is unreachable where this project installs).
// Used by deno-runtime/handlers/app/handleUploadEvents.ts to read an uploaded file whole.

export async function toArrayBuffer(readable: ReadableStream<Uint8Array>): Promise<ArrayBuffer> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of readable) {
    chunks.push(chunk);
    length += chunk.length;
  }

  const all = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all.buffer;
}
