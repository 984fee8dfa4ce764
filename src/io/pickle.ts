// Python's pickle format, as much of it as torch.save files use. Reading is a stack machine
// over the opcodes of protocols 0-5 that build plain data; a global (`module.name`) is only
// ever a name here, and what to make of REDUCE, BUILD and persistent ids is the caller's
// decision (src/io/serialization.ts), so nothing in a file can run code. Writing emits
// protocol 2, as torch.save does by default.

/** A Python tuple (a list is a JavaScript array). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python dict or OrderedDict, in insertion order. */
export class PyDict {
  readonly map = new Map<PyValue, PyValue>();
  constructor(readonly ordered = false) {}
}

/** A name a pickle refers to (`collections.OrderedDict`); never imported or called. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string { return `${this.module}.${this.name}`; }
}

/** Python bytes, which only some opcodes make. */
export class PyBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** A Python set or frozenset: read, so that the caller can say what it found. */
export class PySet {
  constructor(readonly items: PyValue[] = []) {}
}

/** What the machine builds; `object` is whatever the caller's hooks return. */
export type PyValue = null | boolean | number | bigint | string | PyValue[] | PyTuple | PyDict | PyGlobal | PyBytes | object;

/** What the caller decides: everything that could mean running code in Python. */
export interface UnpickleHooks {
  persistentLoad(id: PyValue): PyValue;
  /** REDUCE (`callable(*args)`) and NEWOBJ (`cls.__new__(cls, *args)`). */
  call(callable: PyValue, args: PyValue[], opcode: string): PyValue;
  /** BUILD: `obj.__setstate__(state)` or an update of its `__dict__`; returns what stays on the stack. */
  build(target: PyValue, state: PyValue): PyValue;
  /** Throws a TorchError naming the source; `detail` says what is wrong. */
  fault(detail: string): never;
}

const MARK = Symbol('mark');
// Far more than any tensor file holds; building a bigint is quadratic in its length.
const MAX_LONG_BYTES = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads one pickle from `bytes`; every inconsistency is a fault, never a crash or a partial value. */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: (PyValue | typeof MARK)[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let at = 0;
  let opcodeAt = 0;
  const fault = (detail: string): never => hooks.fault(`data.pkl is corrupt at byte ${opcodeAt}: ${detail}`);

  const need = (count: number): number => {
    if (count > bytes.byteLength - at) fault(`it ends inside an opcode (${count} more bytes needed, ${bytes.byteLength - at} left); is the file truncated?`);
    const start = at;
    at += count;
    return start;
  };
  const u8 = (): number => bytes[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const value = view.getBigUint64(need(8), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fault(`a length of ${value} bytes`);
    return Number(value);
  };
  const take = (count: number): Uint8Array => bytes.subarray(need(count), at);
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) fault('a text argument has no end of line');
    const text = Buffer.from(bytes.subarray(at, end)).toString('latin1');
    at = end + 1;
    return text;
  };
  const text = (raw: Uint8Array): string => {
    try {
      return utf8.decode(raw);
    } catch {
      return fault('a string is not valid UTF-8');
    }
  };

  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length === marks[marks.length - 1])) fault('the stack is empty');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length === marks[marks.length - 1])) fault('the stack is empty');
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const mark = marks.pop();
    if (mark === undefined) fault('no MARK to pop to');
    return stack.splice(mark!) as PyValue[];
  };
  const put = (index: number): void => { memo.set(index, top()); };
  const get = (index: number): void => {
    if (!memo.has(index)) fault(`memo entry ${index} was never stored`);
    stack.push(memo.get(index)!);
  };
  const list = (): PyValue[] => {
    const target = top();
    if (!Array.isArray(target)) fault('items appended to something that is not a list');
    return target as PyValue[];
  };
  const dictAt = (index: number): PyDict => {
    const target = stack[index];
    if (!(target instanceof PyDict)) fault('items set on something that is not a dict');
    return target as PyDict;
  };
  const setItems = (items: PyValue[], dict: PyDict): void => {
    if (items.length % 2 !== 0) fault('a dict was given a key without a value');
    for (let i = 0; i < items.length; i += 2) dict.map.set(items[i]!, items[i + 1]!);
  };
  const decimal = (value: string): number | bigint => {
    const digits = value.replace(/L$/, '');
    if (digits.length > MAX_LONG_BYTES) fault(`an integer of ${digits.length} digits (torch_load reads integers of up to ${MAX_LONG_BYTES})`);
    if (!/^[-+]?\d+$/.test(digits)) fault(`${JSON.stringify(value)} is not an integer`);
    return integer(BigInt(digits));
  };

  for (;;) {
    opcodeAt = at;
    const opcode = u8();
    switch (opcode) {
      case 0x80: { // PROTO
        const version = u8();
        if (version > 5) fault(`pickle protocol ${version} is newer than 5, the newest there is`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fault(`STOP with ${stack.length} values on the stack and ${marks.length} MARKs open`);
        return stack[0] as PyValue;
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP

      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x8a: stack.push(integer(littleEndianSigned(take(u8())))); break; // LONG1
      case 0x8b: { // LONG4
        const length = u32();
        if (length > MAX_LONG_BYTES) fault(`an integer of ${length} bytes (torch_load reads integers of up to ${MAX_LONG_BYTES})`);
        stack.push(integer(littleEndianSigned(take(length))));
        break;
      }
      case 0x49: { // INT (protocol 0): "I01\n" and "I00\n" are True and False
        const value = line();
        stack.push(value === '01' ? true : value === '00' ? false : decimal(value));
        break;
      }
      case 0x4c: stack.push(decimal(line())); break; // LONG (protocol 0)
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT, big-endian
      case 0x46: { // FLOAT (protocol 0)
        const value = Number(line());
        if (Number.isNaN(value)) fault('a FLOAT that is not a number');
        stack.push(value);
        break;
      }

      case 0x58: stack.push(text(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(take(u64()))); break; // BINUNICODE8
      // Python 2 str; torch.load decodes them as UTF-8.
      case 0x54: stack.push(text(take(view.getInt32(need(4), true) >>> 0))); break; // BINSTRING
      case 0x55: stack.push(text(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(new PyBytes(take(u32()))); break; // BINBYTES
      case 0x43: stack.push(new PyBytes(take(u8()))); break; // SHORT_BINBYTES
      case 0x8e: stack.push(new PyBytes(take(u64()))); break; // BINBYTES8

      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const item = pop(); list().push(item); break; } // APPEND
      case 0x65: { const items = popMark(); list().push(...items); break; } // APPENDS
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push(new PyTuple([pop(), b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push(new PyTuple([pop(), b, c])); break; } // TUPLE3
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { const dict = new PyDict(); setItems(popMark(), dict); stack.push(dict); break; } // DICT
      case 0x73: { const value = pop(); const key = pop(); dictAt(stack.length - 1).map.set(key, value); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(items, dictAt(stack.length - 1)); break; } // SETITEMS

      case 0x70: put(decimal(line()) as number); break; // PUT
      case 0x71: put(u8()); break; // BINPUT
      case 0x72: put(u32()); break; // LONG_BINPUT
      case 0x94: put(memo.size); break; // MEMOIZE
      case 0x67: get(decimal(line()) as number); break; // GET
      case 0x68: get(u8()); break; // BINGET
      case 0x6a: get(u32()); break; // LONG_BINGET

      case 0x63: { const module = line(); stack.push(new PyGlobal(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fault('STACK_GLOBAL of something that is not a name');
        stack.push(new PyGlobal(module as string, name as string));
        break;
      }
      case 0x50: stack.push(hooks.persistentLoad(line())); break; // PERSID
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x52: { // REDUCE
        const args = pop();
        if (!(args instanceof PyTuple)) fault('REDUCE with arguments that are not a tuple');
        stack.push(hooks.call(pop(), (args as PyTuple).items, 'REDUCE'));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        if (!(args instanceof PyTuple)) fault('NEWOBJ with arguments that are not a tuple');
        stack.push(hooks.call(pop(), (args as PyTuple).items, 'NEWOBJ'));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        pop(); // keyword arguments
        const args = pop();
        if (!(args instanceof PyTuple)) fault('NEWOBJ_EX with arguments that are not a tuple');
        stack.push(hooks.call(pop(), (args as PyTuple).items, 'NEWOBJ_EX'));
        break;
      }
      case 0x62: { const state = pop(); stack.push(hooks.build(pop(), state)); break; } // BUILD
      case 0x6f: { const [callable, ...args] = popMark(); stack.push(hooks.call(callable ?? null, args, 'OBJ')); break; } // OBJ
      case 0x69: { // INST
        const module = line();
        stack.push(hooks.call(new PyGlobal(module, line()), popMark(), 'INST'));
        break;
      }
      case 0x8f: stack.push(new PySet()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); if (!(top() instanceof PySet)) fault('ADDITEMS to something that is not a set'); (top() as PySet).items.push(...items); break; }
      case 0x91: stack.push(new PySet(popMark())); break; // FROZENSET
      default:
        fault(OPCODE_HINTS[opcode] ?? `unknown opcode 0x${opcode.toString(16).padStart(2, '0')}`);
    }
  }
}

const OPCODE_HINTS: Record<number, string> = {
  0x53: 'STRING (protocol 0 text strings) is not supported',
  0x56: 'UNICODE (protocol 0 text) is not supported',
  0x82: 'EXT1 (the copyreg extension registry) is not supported', 0x83: 'EXT2 is not supported', 0x84: 'EXT4 is not supported',
  0x96: 'BYTEARRAY8 is not supported', 0x97: 'NEXT_BUFFER (out-of-band buffers) is not supported', 0x98: 'READONLY_BUFFER is not supported',
};

function littleEndianSigned(raw: Uint8Array): bigint {
  let value = 0n;
  for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]!);
  if (raw.length > 0 && (raw[raw.length - 1]! & 0x80) !== 0) value -= 1n << BigInt(8 * raw.length);
  return value;
}

/** A Python int as a number when it is exact as one, else a bigint. */
function integer(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

// ---------------------------------------------------------------- writing

/** Builds a protocol-2 pickle one opcode at a time. */
export class PickleWriter {
  private buffer = Buffer.alloc(1024);
  private length = 0;

  constructor() {
    this.raw(0x80, 2); // PROTO 2
  }

  private reserve(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + count));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Appends bytes as they are. */
  raw(...values: number[]): void {
    this.reserve(values.length);
    for (const value of values) this.buffer[this.length++] = value;
  }

  private bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  none(): void { this.raw(0x4e); }
  bool(value: boolean): void { this.raw(value ? 0x88 : 0x89); }
  mark(): void { this.raw(0x28); }

  /** The shortest of BININT1, BININT2, BININT, LONG1, as Python's pickler chooses. */
  int(value: number | bigint): void {
    const big = BigInt(value);
    if (big >= 0n && big < 256n) return this.raw(0x4b, Number(big));
    if (big >= 0n && big < 65536n) return this.raw(0x4d, Number(big) & 0xff, Number(big) >> 8);
    if (big >= -(2n ** 31n) && big < 2n ** 31n) {
      this.reserve(5);
      this.buffer[this.length] = 0x4a;
      this.buffer.writeInt32LE(Number(big), this.length + 1);
      this.length += 5;
      return;
    }
    // Two's complement, little-endian, in the fewest bytes that keep the sign.
    const digits: number[] = [];
    let rest = big;
    for (;;) {
      digits.push(Number(rest & 0xffn));
      rest >>= 8n;
      const sign = (digits[digits.length - 1]! & 0x80) !== 0;
      if ((rest === 0n && !sign) || (rest === -1n && sign)) break;
    }
    if (digits.length < 256) this.raw(0x8a, digits.length, ...digits);
    else {
      this.raw(0x8b);
      this.uint32(digits.length);
      this.bytes(Uint8Array.from(digits));
    }
  }

  /** BINFLOAT: eight bytes, big-endian. */
  float(value: number): void {
    this.reserve(9);
    this.buffer[this.length] = 0x47;
    this.buffer.writeDoubleBE(value, this.length + 1);
    this.length += 9;
  }

  /** BINUNICODE; the caller has checked that `value` is well-formed Unicode. */
  string(value: string): void {
    const data = Buffer.from(value, 'utf8');
    this.raw(0x58);
    this.uint32(data.length);
    this.bytes(data);
  }

  /** GLOBAL "module\nname\n". */
  global(module: string, name: string): void {
    this.raw(0x63);
    this.bytes(Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }

  /** A tuple of `count` values, which `items` pushes: TUPLE1-3 for short ones, else MARK ... TUPLE. */
  tuple(count: number, items: () => void): void {
    if (count > 3) this.mark();
    items();
    if (count > 3) this.raw(0x74); // TUPLE
    else if (count === 0) this.raw(0x29); // EMPTY_TUPLE
    else this.raw([0x85, 0x86, 0x87][count - 1]!); // TUPLE1-3
  }

  emptyList(): void { this.raw(0x5d); }
  appends(): void { this.raw(0x65); }
  emptyDict(): void { this.raw(0x7d); }
  setitems(): void { this.raw(0x75); }
  reduce(): void { this.raw(0x52); }
  binpersid(): void { this.raw(0x51); }
  stop(): void { this.raw(0x2e); }

  private uint32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
  }

  /** The pickle so far. */
  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
