// The zip archives torch.save writes. Writing: every record stored (not compressed), its
// data aligned to 64 bytes by padding in the local header's extra field ("FB", as PyTorch's
// writer does, so readers can map tensors straight from the file), sizes and CRC-32 in the
// local header, ZIP64 fields only where a size or an offset passes 4 GiB, no timestamps (the
// same value gives the same bytes). Reading takes what any zip writer makes of such an
// archive: stored or deflated records, data descriptors, ZIP64; every CRC-32 is checked.
import { crc32, inflateRawSync } from 'node:zlib';

const ALIGNMENT = 64;
const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const PADDING_EXTRA = 0x4246; // "FB"
const UTF8_NAMES = 0x0800;
const DOS_DATE_1980 = 0x21; // 1980-01-01: the earliest date a zip can hold
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;

/**
 * @internal From which record size, offset and record count ZIP64 fields are written; tests
 * lower them to write ZIP64 fields in small archives.
 */
export const zipLimits = { size: MAX32, offset: MAX32, count: MAX16 };

// zlib's crc32 takes any length, but a running value over 1 GiB steps keeps it to one pass.
const CRC_CHUNK = 1 << 30;
function checksum(data: Uint8Array): number {
  let value = 0;
  for (let at = 0; at < data.byteLength; at += CRC_CHUNK) value = crc32(data.subarray(at, at + CRC_CHUNK), value);
  return value >>> 0;
}

interface Written { name: Buffer; crc: number; size: number; offset: number }

/** Writes a zip archive through `sink`, one record at a time. */
export class ZipWriter {
  private offset = 0;
  private readonly written: Written[] = [];

  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  private emit(bytes: Uint8Array): void {
    this.sink(bytes);
    this.offset += bytes.byteLength;
  }

  /** Adds record `name` holding `data`, stored, its data at a multiple of 64 bytes. */
  add(name: string, data: Uint8Array): void {
    const nameBytes = Buffer.from(name, 'utf8');
    const size = data.byteLength;
    const crc = checksum(data);
    const zip64 = size >= zipLimits.size;
    const zip64Bytes = zip64 ? 20 : 0;
    const unpadded = this.offset + 30 + nameBytes.length + zip64Bytes + 4;
    const padding = (ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT;
    const header = Buffer.alloc(30 + nameBytes.length + zip64Bytes + 4 + padding);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4); // version needed to extract
    header.writeUInt16LE(UTF8_NAMES, 6);
    header.writeUInt16LE(0, 8); // stored
    header.writeUInt16LE(0, 10); // time
    header.writeUInt16LE(DOS_DATE_1980, 12);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(zip64 ? MAX32 : size, 18);
    header.writeUInt32LE(zip64 ? MAX32 : size, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(zip64Bytes + 4 + padding, 28);
    nameBytes.copy(header, 30);
    let at = 30 + nameBytes.length;
    if (zip64) {
      header.writeUInt16LE(ZIP64_EXTRA, at);
      header.writeUInt16LE(16, at + 2);
      header.writeBigUInt64LE(BigInt(size), at + 4);
      header.writeBigUInt64LE(BigInt(size), at + 12);
      at += 20;
    }
    header.writeUInt16LE(PADDING_EXTRA, at);
    header.writeUInt16LE(padding, at + 2);
    header.fill('Z', at + 4);
    this.written.push({ name: nameBytes, crc, size, offset: this.offset });
    this.emit(header);
    if (size > 0) this.emit(data);
  }

  /** Writes the central directory and the end records. */
  finish(): void {
    const start = this.offset;
    for (const entry of this.written) this.emit(centralHeader(entry));
    const size = this.offset - start;
    const count = this.written.length;
    const zip64 = count >= zipLimits.count || size >= zipLimits.offset || start >= zipLimits.offset;
    if (zip64) {
      const record = Buffer.alloc(56 + 20);
      record.writeUInt32LE(ZIP64_END, 0);
      record.writeBigUInt64LE(44n, 4); // the size of the rest of the record
      record.writeUInt16LE(45, 12); // version made by
      record.writeUInt16LE(45, 14); // version needed
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(size), 40);
      record.writeBigUInt64LE(BigInt(start), 48);
      record.writeUInt32LE(ZIP64_LOCATOR, 56);
      record.writeBigUInt64LE(BigInt(this.offset), 64); // where the ZIP64 end record is
      record.writeUInt32LE(1, 72); // disks in all
      this.emit(record);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END, 0);
    end.writeUInt16LE(zip64 ? MAX16 : count, 8);
    end.writeUInt16LE(zip64 ? MAX16 : count, 10);
    end.writeUInt32LE(zip64 ? MAX32 : size, 12);
    end.writeUInt32LE(zip64 ? MAX32 : start, 16);
    this.emit(end);
  }
}

function centralHeader({ name, crc, size, offset }: Written): Buffer {
  const bigSize = size >= zipLimits.size;
  const bigOffset = offset >= zipLimits.offset;
  const zip64Bytes = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
  const header = Buffer.alloc(46 + name.length + zip64Bytes);
  header.writeUInt32LE(CENTRAL_HEADER, 0);
  header.writeUInt16LE(45, 4); // version made by: MS-DOS attributes, zip 4.5
  header.writeUInt16LE(zip64Bytes > 0 ? 45 : 20, 6);
  header.writeUInt16LE(UTF8_NAMES, 8);
  header.writeUInt16LE(0, 10);
  header.writeUInt16LE(0, 12);
  header.writeUInt16LE(DOS_DATE_1980, 14);
  header.writeUInt32LE(crc, 16);
  header.writeUInt32LE(bigSize ? MAX32 : size, 20);
  header.writeUInt32LE(bigSize ? MAX32 : size, 24);
  header.writeUInt16LE(name.length, 28);
  header.writeUInt16LE(zip64Bytes, 30);
  header.writeUInt32LE(bigOffset ? MAX32 : offset, 42);
  name.copy(header, 46);
  if (zip64Bytes > 0) {
    let at = 46 + name.length;
    header.writeUInt16LE(ZIP64_EXTRA, at);
    header.writeUInt16LE(zip64Bytes - 4, at + 2);
    at += 4;
    if (bigSize) {
      header.writeBigUInt64LE(BigInt(size), at);
      header.writeBigUInt64LE(BigInt(size), at + 8);
      at += 16;
    }
    if (bigOffset) header.writeBigUInt64LE(BigInt(offset), at);
  }
  return header;
}

// ---------------------------------------------------------------- reading

/** Where a reader gets bytes: `read` fills `into` from `position` or faults. */
export interface ByteSource {
  size: number;
  read(into: Uint8Array, position: number): void;
}

/** One record, as the central directory describes it. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  headerOffset: number;
}

const u16 = (bytes: Uint8Array, at: number): number => bytes[at]! | (bytes[at + 1]! << 8);
const u32 = (bytes: Uint8Array, at: number): number => (u16(bytes, at) + u16(bytes, at + 2) * 0x10000);

/** Reads the central directory of a zip archive; `fault` throws, naming the source. */
export class ZipReader {
  /** The records by name, in the order of the central directory. */
  readonly entries = new Map<string, ZipEntry>();
  private readonly directoryStart: number;

  constructor(private readonly source: ByteSource, private readonly fault: (detail: string) => never) {
    const { count, size, offset } = this.findEnd();
    if (offset + size > source.size) fault(`the central directory (bytes ${offset} to ${offset + size}) runs past the end of the file (${source.size} bytes); is it truncated?`);
    if (count > size / 46) fault(`${count} records cannot fit in a central directory of ${size} bytes`);
    this.directoryStart = offset;
    const directory = this.bytes(offset, size);
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (at + 46 > size || u32(directory, at) !== CENTRAL_HEADER) fault(`central directory record ${i} is missing or damaged`);
      const entry = this.parseCentral(directory, at, i);
      if (this.entries.has(entry.name)) fault(`the archive holds two records named ${JSON.stringify(entry.name)}`);
      this.entries.set(entry.name, entry);
      at += 46 + u16(directory, at + 28) + u16(directory, at + 30) + u16(directory, at + 32);
    }
  }

  private bytes(position: number, length: number): Uint8Array {
    const into = new Uint8Array(length);
    this.source.read(into, position);
    return into;
  }

  private safe(value: bigint, what: string): number {
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fault(`${what} ${value} is too large`);
    return Number(value);
  }

  // The end of central directory record: the last 22 bytes, unless a comment follows it.
  private findEnd(): { count: number; size: number; offset: number } {
    const total = this.source.size;
    const tailLength = Math.min(total, 22 + MAX16);
    const tail = this.bytes(total - tailLength, tailLength);
    let at = -1;
    for (let i = tailLength - 22; i >= 0; i--) {
      if (u32(tail, i) === END && i + 22 + u16(tail, i + 20) === tailLength) { at = i; break; }
    }
    if (at < 0) this.fault('it has no zip end record: it is truncated, or not a zip archive');
    let count = u16(tail, at + 10);
    let size = u32(tail, at + 12);
    let offset = u32(tail, at + 16);
    const locatorAt = total - tailLength + at - 20;
    if (locatorAt >= 0 && u32(this.bytes(locatorAt, 4), 0) === ZIP64_LOCATOR) {
      const locator = Buffer.from(this.bytes(locatorAt, 20));
      const recordAt = this.safe(locator.readBigUInt64LE(8), 'the ZIP64 end record offset');
      if (recordAt + 56 > locatorAt) this.fault('the ZIP64 end record is out of place');
      const record = Buffer.from(this.bytes(recordAt, 56));
      if (record.readUInt32LE(0) !== ZIP64_END) this.fault('the ZIP64 end record is missing or damaged');
      count = this.safe(record.readBigUInt64LE(32), 'the record count');
      size = this.safe(record.readBigUInt64LE(40), 'the central directory size');
      offset = this.safe(record.readBigUInt64LE(48), 'the central directory offset');
    }
    return { count, size, offset };
  }

  private parseCentral(directory: Uint8Array, at: number, index: number): ZipEntry {
    const nameLength = u16(directory, at + 28);
    const extraLength = u16(directory, at + 30);
    if (at + 46 + nameLength + extraLength > directory.length) this.fault(`central directory record ${index} runs past the directory`);
    const nameBytes = directory.subarray(at + 46, at + 46 + nameLength);
    const name = Buffer.from(nameBytes).toString((u16(directory, at + 8) & UTF8_NAMES) !== 0 ? 'utf8' : 'latin1');
    const entry: ZipEntry = {
      name,
      flags: u16(directory, at + 8),
      method: u16(directory, at + 10),
      crc: u32(directory, at + 16),
      compressedSize: u32(directory, at + 20),
      size: u32(directory, at + 24),
      headerOffset: u32(directory, at + 42),
    };
    // ZIP64: each field that reads 0xffffffff is in the extra field, in this order.
    const extra = Buffer.from(directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    for (let e = 0; e + 4 <= extra.length; e += 4 + extra.readUInt16LE(e + 2)) {
      if (extra.readUInt16LE(e) !== ZIP64_EXTRA) continue;
      let field = e + 4;
      const end = field + extra.readUInt16LE(e + 2);
      for (const key of ['size', 'compressedSize', 'headerOffset'] as const) {
        if (entry[key] !== MAX32) continue;
        if (field + 8 > end || end > extra.length) this.fault(`record ${JSON.stringify(name)} has a damaged ZIP64 field`);
        entry[key] = this.safe(extra.readBigUInt64LE(field), `record ${JSON.stringify(name)}'s ${key}`);
        field += 8;
      }
    }
    // Deflate expands at most 1032 times: a larger size is a lie that would allocate it.
    if (entry.method === 8 && entry.size > entry.compressedSize * 1032 + 64) {
      this.fault(`record ${JSON.stringify(name)} claims ${entry.size} bytes from ${entry.compressedSize} deflated ones, more than deflate can make`);
    }
    return entry;
  }

  /** Where record `entry`'s data starts, from its local header. */
  private dataStart(entry: ZipEntry): number {
    const at = entry.headerOffset;
    const where = `record ${JSON.stringify(entry.name)}`;
    if (at + 30 > this.directoryStart) this.fault(`${where}: its header offset ${at} is past the records`);
    const header = this.bytes(at, 30);
    if (u32(header, 0) !== LOCAL_HEADER) this.fault(`${where}: no local header at offset ${at}`);
    const start = at + 30 + u16(header, 26) + u16(header, 28);
    if (start + entry.compressedSize > this.directoryStart) {
      this.fault(`${where}: its ${entry.compressedSize} bytes at offset ${start} run into the central directory at ${this.directoryStart}; is the file damaged?`);
    }
    return start;
  }

  /**
   * Where stored record `entry`'s bytes start in the file, to be read in place (a tensor
   * straight into its memory); the caller checks the CRC-32.
   */
  storedStart(entry: ZipEntry): number {
    const where = `record ${JSON.stringify(entry.name)}`;
    if ((entry.flags & 1) !== 0) this.fault(`${where} is encrypted`);
    if (entry.method !== 0) this.fault(`${where} is compressed (method ${entry.method}); torch.save stores its records uncompressed, and only those are read in place`);
    if (entry.compressedSize !== entry.size) this.fault(`${where} is stored but its sizes differ (${entry.compressedSize} and ${entry.size})`);
    return this.dataStart(entry);
  }

  /**
   * Reads record `entry` whole, checking its CRC-32. `into`, when given, receives the data
   * (it must be `entry.size` bytes): a tensor's memory can be filled without another copy.
   */
  read(entry: ZipEntry, into?: Uint8Array): Uint8Array {
    const where = `record ${JSON.stringify(entry.name)}`;
    if ((entry.flags & 1) !== 0) this.fault(`${where} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) this.fault(`${where} uses compression method ${entry.method}; only stored (0) and deflated (8) records are read`);
    if (entry.method === 0 && entry.compressedSize !== entry.size) this.fault(`${where} is stored but its sizes differ (${entry.compressedSize} and ${entry.size})`);
    const start = this.dataStart(entry);
    let data: Uint8Array;
    if (entry.method === 0) {
      data = into ?? new Uint8Array(entry.size);
      this.source.read(data, start);
    } else {
      let inflated: Buffer;
      try {
        inflated = inflateRawSync(this.bytes(start, entry.compressedSize), { maxOutputLength: Math.max(1, entry.size) });
      } catch (error) {
        return this.fault(`${where} does not inflate (${(error as Error).message})`);
      }
      if (inflated.length !== entry.size) this.fault(`${where} inflates to ${inflated.length} bytes, not ${entry.size}`);
      data = into ?? inflated;
      if (into !== undefined) into.set(inflated);
    }
    const crc = checksum(data);
    if (crc !== entry.crc) this.fault(`${where}: its CRC-32 is ${hex(crc)}, the directory says ${hex(entry.crc)}; the file is damaged`);
    return data;
  }
}

const hex = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;
