// safetensors reading and writing: byte layout from the format's description, round trips of
// every dtype, files crossing to and from Python PyTorch, malformed input and atomic writes.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cuda_is_available, SafetensorsError, safetensors_deserialize, safetensors_serialize, Tensor, TorchError, torch_arange,
  torch_load_safetensors, torch_memory_stats, torch_ones, torch_save_safetensors, torch_tensor, torch_zeros,
} from '../src/index.js';
import { describe_with_python, run_python } from './parity/harness.js';
import { thrown } from './fixtures/helpers.js';

const folder = mkdtempSync(join(tmpdir(), 'torchlora-safetensors-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(folder, `file-${files++}.safetensors`);

/** A safetensors buffer from a header (object or raw text) and data bytes, built by hand. */
function build(header: object | string | Uint8Array, data: Uint8Array = new Uint8Array(0)): Buffer {
  const text = header instanceof Uint8Array ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.byteLength));
  return Buffer.concat([length, text, data]);
}

function float32Bytes(values: number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return new Uint8Array(view.buffer);
}

/** Live tensor handles after a full collection: unreachable tensors are gone, leaked ones stay. */
function liveTensors(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return torch_memory_stats().tensors;
}

function bytesOf(tensor: Tensor): number[] {
  const values = tensor.to_typed_array();
  return [...new Uint8Array(values.buffer, values.byteOffset, values.byteLength)];
}

/** The header of safetensors bytes, parsed. */
function headerOf(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
}

// Every dtype, with values exact in their type; float16 and bfloat16 given by their bits.
function everyDtype(): Record<string, Tensor> {
  return {
    f64: torch_tensor(new Float64Array([1 / 3, -2.5, 1e300, -0]), { shape: [2, 2] }),
    f32: torch_tensor(new Float32Array([1.5, -2.25, 3.4028234663852886e38, 2 ** -149])),
    // 65504 (largest finite), -0, 2^-24 (smallest subnormal), 0.333251953125 (nearest to 1/3)
    f16: torch_tensor(new Uint16Array([0x7bff, 0x8000, 0x0001, 0x3555]), { dtype: 'float16' }),
    // 1, -3, largest finite, 2^-7
    bf16: torch_tensor(new Uint16Array([0x3f80, 0xc040, 0x7f7f, 0x3c00]), { shape: [2, 2], dtype: 'bfloat16' }),
    i64: torch_tensor(new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 7n])),
    i32: torch_tensor(new Int32Array([2 ** 31 - 1, -(2 ** 31)]), { shape: [2, 1] }),
    i16: torch_tensor(new Int16Array([-32768, 32767, 1])),
    i8: torch_tensor(new Int8Array([-128, 127])),
    u8: torch_tensor(new Uint8Array([0, 255, 17])),
    bool: torch_tensor([[true, false, true]]),
    scalar: torch_tensor(2.75),
    empty: torch_zeros(0, 3),
    'layers.0.weight': torch_arange(0, 6, 1, { dtype: 'float32' }).reshape(2, 3).t(), // non-contiguous
  };
}

function expectSameTensors(got: Record<string, Tensor>, want: Record<string, Tensor>): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, tensor] of Object.entries(want)) {
    expect(got[name]!.dtype, name).toBe(tensor.dtype);
    expect(got[name]!.shape, name).toEqual(tensor.shape);
    expect(bytesOf(got[name]!), name).toEqual(bytesOf(tensor));
  }
}

describe('float16 and bfloat16 from raw bits (what the reader builds on)', () => {
  it('takes a Uint16Array as the bits of the dtype given', () => {
    // IEEE half 0x3c00 = 1, 0xc000 = -2; bfloat16 is float32's top half: 0x3f80 = 1, 0x4049 = 3.140625
    expect(torch_tensor(new Uint16Array([0x3c00, 0xc000]), { dtype: 'float16' }).to_array()).toEqual([1, -2]);
    expect(torch_tensor(new Uint16Array([0x3f80, 0x4049]), { dtype: 'bfloat16' }).to_array()).toEqual([1, 3.140625]);
  });

  it('refuses a Uint16Array without a half-precision dtype', () => {
    expect(() => torch_tensor(new Uint16Array([1]))).toThrow(/Expected "float16" or "bfloat16" \(a Uint16Array holds their raw bits\) for dtype but received undefined/);
    expect(() => torch_tensor(new Uint16Array([1]), { dtype: 'int16' })).toThrow(/for dtype but received "int16"/);
  });
});

describe('safetensors bytes, as the format describes them', () => {
  it('reads a buffer built by hand from the format description', () => {
    const data = new Uint8Array(18);
    data.set(float32Bytes([1.5, -2, 0.25]), 0);
    new DataView(data.buffer).setInt16(12, -7, true);
    new DataView(data.buffer).setInt16(14, 300, true);
    new DataView(data.buffer).setInt16(16, 32767, true);
    const bytes = build('{"__metadata__":{"format":"pt"},"b":{"dtype":"I16","shape":[3],"data_offsets":[12,18]},'
      + '"a":{"dtype":"F32","shape":[1,3],"data_offsets":[0,12]}}   ', data);
    const { tensors, metadata } = safetensors_deserialize(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.a!.dtype).toBe('float32');
    expect(tensors.a!.to_array()).toEqual([[1.5, -2, 0.25]]);
    expect(tensors.b!.dtype).toBe('int16');
    expect(tensors.b!.to_array()).toEqual([-7, 300, 32767]);
  });

  it('writes exactly the bytes the format prescribes (the Rust library\'s own test vector)', () => {
    const values = [0, 1, 2, 3, 4, 5];
    const bytes = safetensors_serialize({ attn0: torch_tensor(new Float32Array(values), { shape: [1, 1, 2, 3] }) });
    const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(65); // padded with 7 spaces to 72, a multiple of 8
    expect([...bytes]).toEqual([72, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from(`${json}       `), ...float32Bytes(values)]);
  });

  it('writes an empty state dict as "{}" padded to 8 bytes, with and without metadata', () => {
    expect([...safetensors_serialize({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('{}      ')]);
    const json = '{"__metadata__":{"framework":"pt"}}';
    expect([...safetensors_serialize(new Map(), { framework: 'pt' })]).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from(`${json}     `)]);
  });

  it('orders tensors as the Python library does: largest element first, then by name, each aligned', () => {
    const bytes = safetensors_serialize({
      b: torch_zeros([3], { dtype: 'uint8' }), '2': torch_ones(1), '10': torch_ones(2), a: torch_zeros([1], { dtype: 'float16' }),
      c: torch_zeros([2], { dtype: 'int64' }), d: torch_zeros([1], { dtype: 'float64' }),
    });
    const n = Number(bytes.readBigUInt64LE(0));
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    // I64 > F64 > F32 > F16 > U8 in the Rust Dtype order; "10" < "2" bytewise, as Rust and Python sort.
    expect([...text.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1])).toEqual(['c', 'd', '10', '2', 'a', 'b']);
    const header = headerOf(bytes);
    expect(header.c!.data_offsets).toEqual([0, 16]);
    expect(header.d!.data_offsets).toEqual([16, 24]);
    expect(header['10']!.data_offsets).toEqual([24, 32]);
    expect(header['2']!.data_offsets).toEqual([32, 36]);
    expect(header.a!.data_offsets).toEqual([36, 38]);
    expect(header.b!.data_offsets).toEqual([38, 41]);
    expect((8 + n) % 8).toBe(0);
  });

  it('writes strided tensors (transposed, expanded, sliced) as their row-major values', () => {
    const base = torch_arange(0, 12, 1, { dtype: 'float32' }).reshape(3, 4);
    const { tensors } = safetensors_deserialize(safetensors_serialize({
      t: base.t(), expanded: torch_tensor([1, 2]).unsqueeze(0).expand(3, -1), sliced: base.index('1:3', '::2'),
    }));
    expect(tensors.t!.to_array()).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    expect(tensors.expanded!.to_array()).toEqual([[1, 2], [1, 2], [1, 2]]);
    expect(tensors.sliced!.to_array()).toEqual([[4, 6], [8, 10]]);
  });
});

describe('safetensors round trips', () => {
  it('keeps every dtype\'s bits, shapes and metadata through a file', () => {
    const path = freshPath();
    const tensors = everyDtype();
    torch_save_safetensors(tensors, path, { format: 'pt', 'ключ': 'значение' });
    const loaded = torch_load_safetensors(path);
    expectSameTensors(loaded.tensors, tensors);
    expect(loaded.metadata).toEqual({ format: 'pt', 'ключ': 'значение' });
    // The values behind the bits, from the IEEE formats' definitions.
    expect(loaded.tensors.f16!.to_array()).toEqual([65504, -0, 2 ** -24, 0.333251953125]);
    expect(loaded.tensors.bf16!.to_array()).toEqual([[1, -3], [(2 - 2 ** -7) * 2 ** 127, 2 ** -7]]);
    expect([...(loaded.tensors.i64!.to_typed_array() as BigInt64Array)]).toEqual([2n ** 62n + 1n, -(2n ** 63n), 7n]);
  });

  it('keeps every dtype through a buffer, and from a Map', () => {
    const tensors = everyDtype();
    const loaded = safetensors_deserialize(safetensors_serialize(new Map(Object.entries(tensors))));
    expectSameTensors(loaded.tensors, tensors);
    expect(loaded.metadata).toEqual({});
  });

  it('round-trips a large tensor and keys such as "__proto__" and "0"', () => {
    const big = torch_arange(0, 1_000_003, 1, { dtype: 'float64' }).sin();
    const tensors = { big, ['__proto__']: torch_ones(1), '0': torch_zeros(2) } as Record<string, Tensor>;
    const path = freshPath();
    torch_save_safetensors(tensors, path);
    const loaded = torch_load_safetensors(path).tensors;
    expect(Object.keys(loaded).sort()).toEqual(['0', '__proto__', 'big']);
    expect(loaded.big!.equal(big)).toBe(true);
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
  });

  it('puts loaded tensors on the device asked for', () => {
    const bytes = safetensors_serialize({ x: torch_ones(2) });
    expect(safetensors_deserialize(bytes, { device: 'cpu' }).tensors.x!.device).toBe('cpu');
    expect(safetensors_deserialize(bytes, { device: 'meta' }).tensors.x!.device).toBe('meta'); // a device every build has
  });

  it.skipIf(!cuda_is_available())('copies CUDA tensors to the CPU to write them, and loads onto CUDA [needs a CUDA device; this libtorch sees none]', () => {
    const x = torch_arange(0, 6, 1, { dtype: 'float32' }).reshape(2, 3).to('cuda').t();
    const { tensors } = safetensors_deserialize(safetensors_serialize({ x }), { device: 'cuda' });
    expect(tensors.x!.device).toBe('cuda:0');
    expect(tensors.x!.to_array()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });
  if (!cuda_is_available()) console.log('safetensors CUDA test skipped: this libtorch has no CUDA device');
});

describe_with_python('safetensors files shared with Python PyTorch', () => {
  it('loads a file written by Python with the values Python reports', () => {
    const path = freshPath();
    const described = JSON.parse(run_python('safetensors_io.py', ['write-fixture', path])) as
      Record<string, { dtype: string; shape: number[]; values: (number | boolean | string)[] }>;
    const dtypes: Record<string, string> = {
      F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
    };
    // The file is written name-sorted, so most tensors sit at offsets unaligned for their type.
    for (const { tensors, metadata } of [torch_load_safetensors(path), safetensors_deserialize(readFileSync(path))]) {
      expect(metadata).toEqual({ format: 'pt', note: 'written by test/parity/safetensors_io.py' });
      expect(Object.keys(tensors).sort()).toEqual(Object.keys(described).sort());
      for (const [name, { dtype, shape, values }] of Object.entries(described)) {
        const tensor = tensors[name]!;
        expect(tensor.dtype, name).toBe(dtypes[dtype]);
        expect(tensor.shape, name).toEqual(shape);
        const flat = tensor.dtype === 'int64'
          ? [...(tensor.to_typed_array() as BigInt64Array)].map(String)
          : tensor.numel() === 0 ? [] : [tensor.flatten().to_array()].flat();
        expect(flat, name).toEqual(values);
      }
    }
  });

  it('writes a file that Python reads back as the same tensors, bit for bit', () => {
    const path = freshPath();
    torch_save_safetensors(everyDtype(), path, { format: 'pt', note: 'written by torchlora' });
    const report = JSON.parse(run_python('safetensors_io.py', ['check-fixture', path])) as { metadata: object; keys: string[]; mismatched: string[] };
    expect(report.mismatched).toEqual([]);
    expect(report.keys).toEqual(Object.keys(everyDtype()).sort());
    expect(report.metadata).toEqual({ format: 'pt', note: 'written by torchlora' });
  });
});

describe('malformed safetensors input', () => {
  const valid = (): Buffer => build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I16', shape: [2], data_offsets: [8, 12] } },
    new Uint8Array(12));
  const tensorEntry = (dtype: unknown, shape: unknown, offsets: unknown): object => ({ dtype, shape, data_offsets: offsets });

  const cases: [string, Buffer, RegExp][] = [
    ['an empty file', Buffer.alloc(0), /0 bytes is too short/],
    ['a file shorter than the length field', Buffer.from([8, 0, 0]), /3 bytes is too short/],
    ['a header length beyond the file', (() => { const b = valid(); b.writeBigUInt64LE(10_000n); return b; })(), /header length 10000 runs past the end/],
    ['an absurd header length', (() => { const b = valid(); b.writeBigUInt64LE(2n ** 63n); return b; })(), /over the 100000000-byte limit/],
    ['a header that is not JSON', build('{"a": {"dtype": "F32",', new Uint8Array(0)), /not valid JSON/],
    ['a header that is not UTF-8', build(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), /the header is not valid UTF-8/],
    ['a header that is a JSON array', build('[1, 2]'), /an array of length 2, not a JSON object/],
    ['an unknown dtype', build({ w: tensorEntry('F128', [1], [0, 16]) }, new Uint8Array(16)), /tensor "w": unknown dtype "F128"/],
    ['a dtype libtorch cannot hold', build({ w: tensorEntry('U16', [2], [0, 4]) }, new Uint8Array(4)), /tensor "w": dtype U16 has no libtorch 1.13 type/],
    ['a shape that does not fit the offsets', build({ w: tensorEntry('F32', [2, 2], [0, 12]) }, new Uint8Array(12)), /tensor "w": data_offsets \[0, 12\] span 12 bytes but F32 \[2, 2\] needs 16/],
    ['a negative size', build({ w: tensorEntry('F32', [-1], [0, 0]) }), /tensor "w": shape\[0\] is -1/],
    ['a fractional size', build({ w: tensorEntry('F32', [1.5], [0, 6]) }, new Uint8Array(6)), /tensor "w": shape\[0\] is 1.5/],
    ['a shape that is not an array', build({ w: tensorEntry('F32', '2', [0, 8]) }, new Uint8Array(8)), /tensor "w": shape is "2"/],
    ['three data offsets', build({ w: tensorEntry('U8', [1], [0, 1, 2]) }, new Uint8Array(1)), /tensor "w": data_offsets is \[0,1,2\]/],
    ['offsets that end before they begin', build({ w: tensorEntry('U8', [0], [4, 2]) }, new Uint8Array(4)), /tensor "w": data_offsets \[4, 2\] end before/],
    ['an entry that is not an object', build({ w: 7 }), /tensor "w": expected an object/],
    ['overlapping tensors', build({ a: tensorEntry('F32', [2], [0, 8]), b: tensorEntry('F32', [2], [4, 12]) }, new Uint8Array(12)),
      /tensor "b": data_offsets \[4, 12\] overlap tensor "a", which ends at 8/],
    ['a gap between tensors', build({ a: tensorEntry('F32', [1], [0, 4]), b: tensorEntry('F32', [1], [8, 12]) }, new Uint8Array(12)),
      /tensor "b": data_offsets begin at 8, leaving a gap of 4 bytes after tensor "a"/],
    ['a gap before the first tensor', build({ a: tensorEntry('U8', [2], [2, 4]) }, new Uint8Array(4)), /tensor "a": .*gap of 2 bytes after the header/],
    ['offsets beyond the data', build({ a: tensorEntry('F32', [1], [0, 4]), b: tensorEntry('F32', [2], [4, 12]) }, new Uint8Array(8)),
      /tensor "b": data_offsets \[4, 12\] run past the end of the data \(8 bytes\)/],
    ['bytes after the last tensor', build({ a: tensorEntry('F32', [1], [0, 4]) }, new Uint8Array(6)), /2 bytes of data after the last tensor/],
    ['metadata that is not strings', build({ __metadata__: { epochs: 3 } }), /__metadata__\["epochs"\] is 3, not a string/],
    ['a duplicated key (its first range is left unclaimed)', build('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}',
      new Uint8Array(2)), /tensor "a": data_offsets begin at 1, leaving a gap of 1 bytes after the header/],
  ];

  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}, naming the problem, from a buffer and from a file`, () => {
      const before = liveTensors();
      expect(() => safetensors_deserialize(bytes)).toThrow(SafetensorsError);
      expect(() => safetensors_deserialize(bytes)).toThrow(message);
      const path = freshPath();
      writeFileSync(path, bytes);
      expect(() => torch_load_safetensors(path)).toThrow(SafetensorsError);
      expect(() => torch_load_safetensors(path)).toThrow(message);
      expect(torch_memory_stats().tensors).toBeLessThanOrEqual(before); // fewer if a collection ran meanwhile
    });
  }

  it('rejects every truncation of a valid file, from 0 bytes to one short', () => {
    const bytes = safetensors_serialize(everyDtype(), { format: 'pt' });
    for (let length = 0; length < bytes.byteLength; length++) {
      expect(() => safetensors_deserialize(bytes.subarray(0, length)), `truncated to ${length}`).toThrow(SafetensorsError);
    }
    const path = freshPath();
    writeFileSync(path, bytes.subarray(0, bytes.byteLength - 1));
    expect(() => torch_load_safetensors(path)).toThrow(/tensor "bool": data_offsets .* run past the end of the data .* truncated/); // BOOL is written last
  });

  it.skipIf(cuda_is_available())('loads all tensors or none: a device that is not there leaves no tensor behind [needs a libtorch without CUDA]', () => {
    const bytes = safetensors_serialize(everyDtype());
    const before = liveTensors();
    expect(() => safetensors_deserialize(bytes, { device: 'cuda' })).toThrow();
    expect(torch_memory_stats().tensors).toBeLessThanOrEqual(before);
  });

  it('rejects bad arguments with TypeErrors that name them', () => {
    expect(() => safetensors_serialize([] as never)).toThrow(/Expected an object or Map of Tensors for tensors but received an array/);
    expect(() => safetensors_serialize({ w: [1, 2] as never })).toThrow(/Expected a Tensor for tensors\["w"\] but received an array/);
    expect(() => safetensors_serialize({ __metadata__: torch_ones(1) })).toThrow(/reserves it/);
    expect(() => safetensors_serialize({ ['\ud800']: torch_ones(1) })).toThrow(/well-formed Unicode/);
    expect(() => safetensors_serialize({}, { epochs: 3 } as never)).toThrow(/Expected a string for metadata\["epochs"\] but received 3/);
    const disposed = torch_ones(1);
    disposed.dispose();
    expect(() => safetensors_serialize({ w: disposed })).toThrow(/disposed/);
    expect(() => torch_save_safetensors({}, 42 as never)).toThrow(/Expected a file path for path but received 42/);
    expect(() => torch_load_safetensors(freshPath(), { device: 'gpu' })).toThrow(/Expected a device/);
    expect(() => safetensors_deserialize('bytes' as never)).toThrow(/Expected a Buffer or Uint8Array for buffer/);
  });
});

describe('atomic writes', () => {
  const temporaries = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

  it('replaces an existing file whole', () => {
    const path = freshPath();
    torch_save_safetensors({ old: torch_ones(3) }, path);
    torch_save_safetensors({ new: torch_zeros(2) }, path);
    expect(Object.keys(torch_load_safetensors(path).tensors)).toEqual(['new']);
    expect(temporaries(folder)).toEqual([]);
  });

  it('leaves the old file intact and no temporary file when a tensor cannot be read half-way through', () => {
    const dir = mkdtempSync(join(folder, 'atomic-'));
    const path = join(dir, 'model.safetensors');
    torch_save_safetensors({ w: torch_ones(3) }, path);
    const before = readFileSync(path);
    // "a" is written first; "z", on the meta device, has no data to write.
    const tensors = { a: torch_ones(1000), z: torch_zeros([4], { device: 'meta' }) };
    expect(() => torch_save_safetensors(tensors, path)).toThrow(/could not read tensor "z"/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('leaves no temporary file when the final rename fails, and does not name the temporary', () => {
    const dir = mkdtempSync(join(folder, 'atomic-'));
    const path = join(dir, 'taken');
    mkdirSync(join(path, 'inside'), { recursive: true }); // a non-empty folder cannot be replaced by a file
    const error = thrown(() => torch_save_safetensors({ w: torch_ones(3) }, path));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'EISDIR', path });
    expect(error.message).toBe(`Expected a file path in an existing folder for path but received ${JSON.stringify(path)} (EISDIR: illegal operation on a directory)`);
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('touches nothing on disk when the arguments are wrong', () => {
    const dir = mkdtempSync(join(folder, 'atomic-'));
    const path = join(dir, 'model.safetensors');
    torch_save_safetensors({ w: torch_ones(3) }, path);
    const before = readFileSync(path);
    expect(() => torch_save_safetensors({ w: torch_zeros(1) }, path, { step: 1 } as never)).toThrow(TypeError);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });
});


describe("errors are the library's classes", () => {
  it('a malformed buffer or file is a SafetensorsError, which is a TorchError', () => {
    expect(thrown(() => safetensors_deserialize(new Uint8Array([1, 2, 3])))).toBeInstanceOf(TorchError);
    expect(thrown(() => safetensors_deserialize(new Uint8Array([1, 2, 3])))).toBeInstanceOf(SafetensorsError);
  });

  it('a missing file is a TypeError naming path, with code and path kept', () => {
    const path = join(folder, 'missing.safetensors');
    const error = thrown(() => torch_load_safetensors(path));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ENOENT', path });
    expect(error.message).toBe(`Expected a readable safetensors file for path but received ${JSON.stringify(path)} (ENOENT: no such file or directory)`);
  });

  it('a folder given as the file to read is a TypeError (EISDIR)', () => {
    const error = thrown(() => torch_load_safetensors(folder));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'EISDIR', path: folder });
  });

  it('a save into a folder that does not exist is a TypeError naming path', () => {
    const path = join(folder, 'no-such-folder', 'w.safetensors');
    const error = thrown(() => torch_save_safetensors({ w: torch_ones(1) }, path));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ENOENT', path });
    expect(error.message).toMatch(/^Expected a file path in an existing folder for path but received ".*w\.safetensors" \(ENOENT: /);
  });

  it('a save the file system refuses (sysfs) is a TorchError with the code', () => {
    if (!existsSync('/sys/kernel')) return; // Linux only
    const error = thrown(() => torch_save_safetensors({ w: torch_ones(1) }, '/sys/torchlora.safetensors'));
    expect(error).toBeInstanceOf(TorchError);
    expect(error).toMatchObject({ code: 'EACCES', path: '/sys/torchlora.safetensors' });
    expect(error.message).toBe('Expected a file path in an existing folder for path but the file system refused "/sys/torchlora.safetensors" (EACCES: permission denied)');
  });

  it('a path with a NUL byte is refused before the file system sees it', () => {
    expect(() => torch_load_safetensors('a\0b')).toThrow('Expected a file path for path but received "a\\u0000b"');
    expect(() => torch_save_safetensors({}, 'a\0b')).toThrow(TypeError);
  });
});

describe('options', () => {
  const path = (): string => {
    const file = freshPath();
    torch_save_safetensors({ w: torch_ones(1) }, file);
    return file;
  };
  it('null is a TypeError naming the function', () => {
    expect(() => torch_load_safetensors(path(), null as never)).toThrow('Expected an options object for torch_load_safetensors options but received null');
    expect(() => safetensors_deserialize(readFileSync(path()), null as never)).toThrow('Expected an options object for safetensors_deserialize options but received null');
    expect(() => torch_save_safetensors({}, freshPath(), null as never)).toThrow('Expected an object of strings for metadata but received null');
  });
  it('a misspelt key is a TypeError naming it and the accepted ones', () => {
    expect(() => torch_load_safetensors(path(), { devices: 'cpu' } as never)).toThrow('Expected one of device for torch_load_safetensors options but received "devices"');
    expect(() => safetensors_deserialize(readFileSync(path()), { dev: 'cpu' } as never)).toThrow('Expected one of device for safetensors_deserialize options but received "dev"');
  });
});
