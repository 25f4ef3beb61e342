/** Saving and reading user files (registration request, backup, FHIR export) without a server. */

export function downloadText(filename: string, text: string, type = 'application/json'): void {
  downloadBlob(filename, new Blob([text], { type }));
}

export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke later: some browsers start the download asynchronously after click().
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Reads a user-picked file as text, refusing files larger than `maxBytes` before reading them. */
export async function readTextFile(file: Blob, maxBytes: number): Promise<string> {
  if (file.size > maxBytes) throw new RangeError(`file larger than ${maxBytes} bytes`);
  return file.text();
}
