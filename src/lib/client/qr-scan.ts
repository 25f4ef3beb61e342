/**
 * Reading QR codes: from the camera (getUserMedia) or from an uploaded picture. The browser's own
 * BarcodeDetector is used where it exists (Android, ChromeOS, macOS); elsewhere the maintained `jsqr`
 * decoder reads the frame's pixels. Decoding only yields text: parsing it as a grant is core's job.
 */
import jsQR from 'jsqr';
import { CoreError } from '../core/errors.js';

/** Frames are scaled so their long side is at most this: enough modules for a ~1,100-char code. */
const MAX_SCAN_SIDE = 1024;
/** Pictures larger than this are not a QR screenshot; refuse before decoding megapixels. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** About 6 frames a second: quick enough to feel instant, light enough for a phone. */
const SCAN_INTERVAL_MS = 160;

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource | ImageData): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorCtor {
  new (opts: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

let detector: Promise<BarcodeDetectorLike | undefined> | undefined;

function nativeDetector(): Promise<BarcodeDetectorLike | undefined> {
  detector ??= (async () => {
    const Ctor = (globalThis as unknown as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
    if (!Ctor) return undefined;
    try {
      const formats = await Ctor.getSupportedFormats();
      return formats.includes('qr_code') ? new Ctor({ formats: ['qr_code'] }) : undefined;
    } catch {
      return undefined;
    }
  })();
  return detector;
}

/** Which decoder this browser will use; shown on the scan screen. */
export async function decoderName(): Promise<'BarcodeDetector' | 'jsQR'> {
  return (await nativeDetector()) ? 'BarcodeDetector' : 'jsQR';
}

function toImageData(source: CanvasImageSource, width: number, height: number): ImageData | undefined {
  if (!width || !height) return undefined;
  const scale = Math.min(1, MAX_SCAN_SIDE / Math.max(width, height));
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return undefined;
  ctx.drawImage(source, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h);
}

/** Decodes one frame; undefined when it holds no readable QR code. */
export async function decodeFrame(
  source: CanvasImageSource,
  width: number,
  height: number
): Promise<string | undefined> {
  const native = await nativeDetector();
  if (native) {
    try {
      const found = await native.detect(source);
      if (found[0]) return found[0].rawValue;
    } catch {
      // fall through to jsQR: some platforms list qr_code but fail on certain sources
    }
  }
  const data = toImageData(source, width, height);
  if (!data) return undefined;
  return jsQR(data.data, data.width, data.height, { inversionAttempts: 'attemptBoth' })?.data;
}

/** Decodes an uploaded picture (screenshot or photo of a QR code). */
export async function decodeImageFile(file: Blob): Promise<string> {
  if (file.size > MAX_IMAGE_BYTES) throw new CoreError('client/qr-not-found', { detail: 'image too large' });
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new CoreError('client/qr-not-found', { detail: 'not an image' });
  }
  try {
    const text = await decodeFrame(bitmap, bitmap.width, bitmap.height);
    if (text === undefined) throw new CoreError('client/qr-not-found');
    return text;
  } finally {
    bitmap.close();
  }
}

export interface CameraScan {
  stop(): void;
}

/**
 * Opens the rear camera into `video` and calls `onText` with the first code read. The camera is
 * released on the first result, on `stop()`, and on any error.
 */
export async function startCameraScan(
  video: HTMLVideoElement,
  onText: (text: string) => void
): Promise<CameraScan> {
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: 'environment' } },
      audio: false
    });
  } catch (e) {
    throw new CoreError('client/camera-unavailable', { detail: e instanceof Error ? e.name : String(e) });
  }
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  video.srcObject = stream;
  video.muted = true;
  video.setAttribute('playsinline', '');
  await video.play().catch(() => undefined);
  const tick = async () => {
    if (stopped) return;
    if (video.readyState >= 2) {
      const text = await decodeFrame(video, video.videoWidth, video.videoHeight);
      if (text !== undefined && !stopped) {
        stop();
        onText(text);
        return;
      }
    }
    timer = setTimeout(() => void tick(), SCAN_INTERVAL_MS);
  };
  void tick();
  return { stop };
}
