/**
 * A minimal ustar writer with PAX long names. It is written here rather than taken from a tar
 * library because every header byte is part of the snapshot's digest: owner, names, modes,
 * times, padding and the PAX fallback must stay fixed across library releases and machines.
 */

export const BLOCK = 512;

/** Largest size and time an 11-digit octal field holds (8 GiB - 1). */
const MAX_OCTAL_11 = 0o77777777777;

/** Fixed name of PAX extended headers: readers ignore it, so a constant keeps it canonical. */
const PAX_HEADER_NAME = "PaxHeader";

export interface TarHeader {
  /** Path inside the archive, `/`-separated, no leading `./`; directories end in `/`. */
  path: string;
  type: "file" | "directory";
  /** Content length in bytes; 0 for directories. */
  size: number;
  /** Modification time, Unix epoch seconds. */
  mtime: number;
}

function octal(value: number, digits: number): string {
  return value.toString(8).padStart(digits, "0");
}

function ustarBlock(
  name: Buffer,
  typeflag: string,
  mode: number,
  size: number,
  mtime: number,
): Buffer {
  const block = Buffer.alloc(BLOCK);
  name.copy(block, 0);
  block.write(`${octal(mode, 7)}\0`, 100, "ascii");
  block.write(`${octal(0, 7)}\0`, 108, "ascii");
  block.write(`${octal(0, 7)}\0`, 116, "ascii");
  block.write(`${octal(size, 11)}\0`, 124, "ascii");
  block.write(`${octal(mtime, 11)}\0`, 136, "ascii");
  block.write(typeflag, 156, "ascii");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  block.write(`${octal(0, 7)}\0`, 329, "ascii");
  block.write(`${octal(0, 7)}\0`, 337, "ascii");
  // The checksum is summed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${octal(sum, 6)}\0 `, 148, "ascii");
  return block;
}

/** One PAX record, `"<len> <key>=<value>\n"`, where `<len>` counts its own digits too. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  const digits = String(bodyLength).length;
  let length = bodyLength + digits;
  if (String(length).length > digits) length += 1;
  return Buffer.from(`${length}${body}`);
}

/** Zero bytes that complete a member of `size` bytes to whole blocks. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive; no further padding to a record size. */
export function tarTrailer(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

/**
 * The header blocks of one member: a PAX `path` record first when the path does not fit the
 * 100-byte name field (no ustar prefix splitting, so each path has exactly one encoding).
 * Owner and group are 0 with empty names; files are 0644 and directories 0755.
 */
export function tarHeader(header: TarHeader): Buffer {
  const { path, type, size, mtime } = header;
  const isDir = type === "directory";
  if (!path || path.startsWith("/") || path.includes("\0") || path.endsWith("/") !== isDir) {
    throw new Error(`tar path ${JSON.stringify(path)} is not a relative ${type} path`);
  }
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_OCTAL_11 || (isDir && size !== 0)) {
    throw new Error(`tar member ${JSON.stringify(path)} has an unsupported size ${size}`);
  }
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime > MAX_OCTAL_11) {
    throw new Error(`tar member ${JSON.stringify(path)} has an unsupported mtime ${mtime}`);
  }
  const name = Buffer.from(path);
  const mode = isDir ? 0o755 : 0o644;
  const typeflag = isDir ? "5" : "0";
  if (name.length <= 100) return ustarBlock(name, typeflag, mode, size, mtime);
  const record = paxRecord("path", path);
  return Buffer.concat([
    ustarBlock(Buffer.from(PAX_HEADER_NAME), "x", 0o644, record.length, mtime),
    record,
    tarPadding(record.length),
    // The ustar name is only a fallback for readers without PAX; the PAX record wins.
    ustarBlock(truncateUtf8(name, 100), typeflag, mode, size, mtime),
  ]);
}

/** The longest prefix of `bytes` of at most `max` bytes that does not split a character. */
function truncateUtf8(bytes: Buffer, max: number): Buffer {
  let end = max;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end);
}
