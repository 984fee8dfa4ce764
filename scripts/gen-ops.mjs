#!/usr/bin/env node
// Makes the ops of the op table (src/ops/table/*.ts) into TypeScript, as torchgen makes
// PyTorch's bindings from native_functions.yaml:
//   src/ops/generated/ops.ts        one `torch_<name>` per entry, its arguments checked by their
//                                   schema types, then one call through the dispatcher;
//   src/ops/generated/functions.ts  the public ones: those of function-variant entries;
//   src/ops/generated/methods.ts    TensorMethods, the class Tensor extends: one method per
//                                   method-variant entry, the same op with `this` as `self`.
// Entries with `impl` name a hand-written function (R's exceptions, fast paths); only their
// method is made here. `node scripts/gen-ops.mjs --check` fails when the committed files differ
// from what the table makes (test/ops.table.test.ts runs it).
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tableDir = join(root, 'src', 'ops', 'table');
const outDir = join(root, 'src', 'ops', 'generated');

async function loadTable() {
  const entries = [];
  for (const file of readdirSync(tableDir).filter((name) => name.endsWith('.ts') && name !== 'entry.ts').sort()) {
    const source = readFileSync(join(tableDir, file), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const module = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
    for (const entry of module.default) entries.push({ ...entry, file: file.replace(/\.ts$/, '') });
  }
  return entries;
}

// "Tensor self, int[1]? dim=None, *, bool keepdim=False" -> arguments, split at top-level commas.
function splitTopLevel(text) {
  const parts = [];
  let depth = 0, current = '';
  for (const ch of text) {
    if (ch === '[' || ch === '(') depth++;
    if (ch === ']' || ch === ')') depth--;
    if (ch === ',' && depth === 0) { parts.push(current.trim()); current = ''; } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function parseSchema(schema) {
  const match = schema.match(/^([\w.]+)\((.*)\) -> (.+)$/);
  if (!match) throw new Error(`op table: cannot read schema ${schema}`);
  const [name, overload = ''] = match[1].split('.');
  const args = [];
  let keywordOnly = false;
  for (const part of splitTopLevel(match[2])) {
    if (part === '*') { keywordOnly = true; continue; }
    const m = part.match(/^([\w\[\]\d]+)(\([a-z]!?\))?(\?)? (\w+)(?:=(.*))?$/);
    if (!m) throw new Error(`op table: cannot read argument "${part}" of ${schema}`);
    args.push({ type: m[1], alias: m[2] ?? '', optional: Boolean(m[3]), name: m[4], default: m[5], keywordOnly });
  }
  let returns = match[3].trim();
  const tuple = returns.startsWith('(');
  const returnTypes = (tuple ? splitTopLevel(returns.slice(1, -1)).map((item) => item.split(' ')[0]) : [returns.split(' ')[0]]).map((type) => type.replace(/\([a-z]!?\)/, ''));
  return { name, overload, args, returns: returnTypes, tuple, inPlace: /\(a!\)/.test(returns) };
}

const hasTsType = (arg) => { try { tsType(arg); return true; } catch { return false; } };

// A schema type as TypeScript.
function tsType(arg) {
  const base = arg.type.replace(/\[\d+\]$/, '[]');
  const single = /\[1\]$/.test(arg.type);
  const map = {
    Tensor: 'Tensor', 'Tensor[]': 'Tensor[]', Scalar: 'number | boolean', int: 'number', SymInt: 'number',
    'int[]': single ? 'number | number[]' : 'number[]', 'SymInt[]': single ? 'number | number[]' : 'number[]', float: 'number', bool: 'boolean',
    str: 'string', ScalarType: 'DTypeLike', TensorOrScalar: 'Tensor | number | boolean',
  };
  const type = map[base];
  if (!type) throw new Error(`op table: no TypeScript type for schema type ${arg.type} (${arg.name})`);
  return arg.optional ? `${type} | null` : type;
}

// The check of one argument's value, named as the user passed it.
function checkCall(arg, value) {
  const base = arg.type.replace(/\[\d+\]$/, '[]');
  const single = /\[1\]$/.test(arg.type);
  let check;
  switch (base) {
    case 'Tensor': check = `checkTensor(${value}, '${arg.name}').h`; break;
    case 'Tensor[]': check = `tensorIds(${value}, '${arg.name}')`; break;
    case 'Scalar': check = `checkScalar(${value}, '${arg.name}')`; break;
    case 'TensorOrScalar': check = `idOrScalar(checkOperand(${value}, '${arg.name}'))`; break;
    case 'int': case 'SymInt': check = `checkInteger(${value}, '${arg.name}')`; break;
    case 'int[]': case 'SymInt[]': check = single ? `dimList(${value}, '${arg.name}')` : `checkDims(${value}, '${arg.name}')`; break;
    case 'float': check = `checkNumber(${value}, '${arg.name}')`; break;
    case 'bool': check = `checkBoolean(${value}, '${arg.name}')`; break;
    case 'str': check = `checkString(${value}, '${arg.name}')`; break;
    case 'ScalarType': check = `dtypeCode(${value} as DTypeLike)`; break;
    default: throw new Error(`op table: no check for schema type ${arg.type}`);
  }
  if (arg.optional) return `${value} == null ? null : ${check}`;
  if (arg.default !== undefined) return `${value} === undefined ? undefined : ${check}`;
  return check;
}

function returnType(parsed) {
  const one = (type) => ({ Tensor: 'Tensor', 'Tensor[]': 'Tensor[]', bool: 'boolean', int: 'number', float: 'number', Scalar: 'number' })[type]
    ?? (() => { throw new Error(`op table: no TypeScript type for return type ${type}`); })();
  return parsed.tuple ? `[${parsed.returns.map(one).join(', ')}]` : one(parsed.returns[0]);
}

function wrapCall(parsed, call) {
  if (parsed.tuple) return `(${call} as TensorId[]).map(tensorFrom) as ${returnType(parsed)}`;
  switch (parsed.returns[0]) {
    case 'Tensor': return `tensorFrom(${call} as TensorId)`;
    case 'Tensor[]': return `(${call} as TensorId[]).map(tensorFrom)`;
    default: return `${call} as ${returnType(parsed)}`;
  }
}

const upper = (name) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
const capitalized = (name) => name.split('_').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');

function docComment(entry, indent, example) {
  const lines = [entry.doc, ...(example ? [`@example ${example}`] : [])];
  if (lines.join(' ').length < 100) return `${indent}/** ${lines.join(' ')} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line}`).join('\n')}\n${indent} */\n`;
}

// The method of an `impl` entry: it calls the hand-written torch_<name> with `this` as `self`.
function implMethod(entry, fn) {
  const doc = docComment(entry, '  ', entry.example?.method);
  if (entry.signatures) {
    return doc + entry.signatures.map((signature) => `  ${signature};\n`).join('') +
      `  ${entry.name}(...args: unknown[]): unknown { return (${fn} as (...all: unknown[]) => unknown)(this, ...args); }\n`;
  }
  return doc + `  ${entry.name}(this: Tensor, ...args: MethodArgs<typeof ${fn}>): ReturnType<typeof ${fn}> { return ${fn}(this, ...args); }\n`;
}

// The Op constant(s) of a schema entry, and the one argument whose value picks between a
// Tensor and a Scalar overload (eq.Tensor / eq.Scalar), or null.
function operators(entry, overloads, constant) {
  const parsed = overloads[0];
  if (overloads.length === 1) return { constant: `const ${constant} = new Op('aten::${parsed.name}', '${parsed.overload}');`, operand: null };
  const names = (schema) => schema.args.map((arg) => arg.name).join(',');
  if (overloads.length !== 2 || names(overloads[0]) !== names(overloads[1])) throw new Error(`op table: ${entry.name}'s overloads must be two with the same arguments`);
  const differing = parsed.args.map((arg, i) => i).filter((i) => parsed.args[i].type !== overloads[1].args[i].type);
  const types = differing.map((i) => [parsed.args[i].type, overloads[1].args[i].type].sort().join('/'));
  if (differing.length !== 1 || types[0] !== 'Scalar/Tensor') throw new Error(`op table: ${entry.name}'s overloads must differ in one argument, Tensor or Scalar`);
  const [tensorOverload, scalarOverload] = parsed.args[differing[0]].type === 'Tensor' ? overloads : [overloads[1], overloads[0]];
  parsed.args[differing[0]] = { ...parsed.args[differing[0]], type: 'TensorOrScalar' };
  return {
    constant: `const ${constant} = { Tensor: new Op('aten::${tensorOverload.name}', '${tensorOverload.overload}'), Scalar: new Op('aten::${scalarOverload.name}', '${scalarOverload.overload}') };`,
    operand: parsed.args[differing[0]].name,
  };
}

// A schema entry's function (and method): its constants, its TypeScript, checked arguments and
// one call through the dispatcher.
function schemaOp(entry, fn, hasMethod) {
  const overloads = (Array.isArray(entry.schema) ? entry.schema : [entry.schema]).map(parseSchema);
  const parsed = overloads[0];
  const constant = upper(entry.name);
  const { constant: opConstant, operand } = operators(entry, overloads, constant);
  const constants = [opConstant];
  // An argument of a type torchlora does not pass (a MemoryFormat) that has a default is left
  // out of the TypeScript signature, and takes its default.
  const hidden = (arg) => (arg.optional || arg.default !== undefined) && !hasTsType(arg);
  const positional = parsed.args.filter((arg) => !arg.keywordOnly && !hidden(arg));
  const keyword = parsed.args.filter((arg) => arg.keywordOnly && !hidden(arg));
  const [self, ...rest] = positional;
  const optionalParam = (arg) => arg.optional || arg.default !== undefined;
  const params = rest.map((arg) => `${arg.name}${optionalParam(arg) ? '?' : ''}: ${tsType(arg)}`);
  const namedType = [...rest, ...keyword].map((arg) => `${arg.name}${optionalParam(arg) ? '?' : ''}: ${tsType(arg)}`).join('; ');
  if (keyword.length) params.push(`options?: { ${keyword.map((arg) => `${arg.name}?: ${tsType(arg)}`).join('; ')} }`);
  const ret = returnType(parsed);
  const selfParam = `${self.name}: ${tsType(self)}`;
  const named = rest.length > 0;
  const keysName = `${constant}_NAMES`;
  // The options object takes only the keyword-only arguments; the named form takes them all.
  const optionsName = named ? `${constant}_OPTIONS` : keysName;
  if (named) constants.push(`const ${keysName} = new Set([${[...rest, ...keyword].map((arg) => `'${arg.name}'`).join(', ')}]);`);
  if (keyword.length) constants.push(`const ${optionsName} = new Set([${keyword.map((arg) => `'${arg.name}'`).join(', ')}]);`);
  const restNames = rest.map((arg) => arg.name);

  // R's named form (all after self in one object), then the keyword-only options object.
  const body = [];
  if (named) {
    body.push(`  const named = namedArguments(${rest[0].name}, ${keysName}, '${fn}');`);
    if (keyword.length) {
      body.push(`  let kw: Record<string, unknown>;`);
      body.push(`  if (named !== null) { ({ ${restNames.join(', ')} } = named); kw = named; }`);
      body.push(`  else kw = checkOptions(options as Record<string, unknown> | undefined, ${optionsName}, '${fn}');`);
    } else {
      body.push(`  if (named !== null) ({ ${restNames.join(', ')} } = named);`);
    }
  } else if (keyword.length) {
    body.push(`  const kw: Record<string, unknown> = checkOptions(options as Record<string, unknown> | undefined, ${keysName}, '${fn}');`);
  }
  const callArgs = parsed.args.map((arg) => (hidden(arg) ? 'undefined' : checkCall(arg, arg === self || !arg.keywordOnly ? arg.name : `kw.${arg.name}`)));
  while (callArgs[callArgs.length - 1] === 'undefined') callArgs.pop();
  const opId = operand ? `(typeof ${operand} === 'object' ? ${constant}.Tensor : ${constant}.Scalar).id` : `${constant}.id`;
  const call = `native.${parsed.inPlace ? 'callOpInPlace' : 'callOp'}(${opId}, ${callArgs.join(', ')})`;
  if (parsed.inPlace) body.push(`  ${call};`, `  return ${self.name};`);
  else body.push(`  return ${wrapCall(parsed, call)};`);
  if (hasMethod && self.type !== 'Tensor') throw new Error(`op table: ${entry.name} has a method variant but its first argument is no Tensor`);

  const functionDoc = docComment(entry, '', entry.example?.function);
  const methodDoc = docComment(entry, '  ', entry.example?.method);
  if (!named && keyword.length === 0) {
    // One signature: typed parameters, and a method that passes them on.
    return {
      constants,
      function: functionDoc + `export function ${fn}(${[selfParam, ...params].join(', ')}): ${ret} {\n${body.join('\n')}\n}\n`,
      method: methodDoc + `  ${entry.name}(${params.join(', ')}): ${ret} { return ${fn}(this as unknown as Tensor${restNames.map((name) => `, ${name}`).join('')}); }\n`,
    };
  }
  const overloadSignatures = [...(named ? [`(${selfParam}, named: { ${namedType} }): ${ret}`] : []), `(${[selfParam, ...params].join(', ')}): ${ret}`];
  const implParams = [selfParam, ...rest.map((arg) => `${arg.name}?: unknown`), ...(keyword.length ? ['options?: unknown'] : [])];
  const methodSignatures = [...(named ? [`  ${entry.name}(named: { ${namedType} }): ${ret};`] : []), `  ${entry.name}(${params.join(', ')}): ${ret};`];
  return {
    constants,
    function: functionDoc + overloadSignatures.map((signature) => `export function ${fn}${signature};`).join('\n') + '\n' +
      `export function ${fn}(${implParams.join(', ')}): ${ret} {\n${body.join('\n')}\n}\n`,
    method: methodDoc + methodSignatures.join('\n') + '\n' +
      `  ${entry.name}(...args: unknown[]): ${ret} { return (${fn} as (...all: unknown[]) => ${ret})(this, ...args); }\n`,
  };
}

function generate(entries) {
  const functions = [];
  const exported = [];
  const methods = [];
  const constants = [];
  const implImports = new Map();
  const names = new Set();
  for (const entry of entries) {
    if (names.has(entry.name)) throw new Error(`op table: ${entry.name} is declared twice`);
    names.add(entry.name);
    const variants = entry.variants ?? 'function, method';
    const hasMethod = variants.includes('method');
    // R's name where it is not torch_<name> (linalg_inv).
    const fn = entry.function ?? `torch_${entry.name}`;
    if (entry.impl) {
      // A function-only impl entry makes nothing: its function is exported from its own file.
      if (!hasMethod) continue;
      const list = implImports.get(entry.impl) ?? [];
      list.push(fn);
      // Types a signature names (other than Tensor) come from the impl's file.
      for (const [type] of (entry.signatures ?? []).join(' ').matchAll(/\b[A-Z]\w+\b/g)) {
        if (type !== 'Tensor' && !list.includes(`type ${type}`)) list.push(`type ${type}`);
      }
      implImports.set(entry.impl, list);
      if (hasMethod) methods.push(implMethod(entry, fn));
      continue;
    }
    const op = schemaOp(entry, fn, hasMethod);
    constants.push(...op.constants);
    functions.push(op.function);
    if (variants.includes('function')) exported.push(fn);
    if (hasMethod) methods.push(op.method);
  }
  return generatedFiles(entries, { functions, exported, methods, constants, implImports });
}

// The three generated files, each importing what its code uses.
function generatedFiles(entries, { functions, exported, methods, constants, implImports }) {
  const header = '// Generated by scripts/gen-ops.mjs from src/ops/table/; edit the table, then run `npm run gen-ops`.\n';
  const functionsBody = constants.join('\n') + '\n\n' + functions.join('\n');
  const used = (names) => names.filter((name) => new RegExp(`\\b${name}\\(`).test(functionsBody));
  const validate = used(['checkBoolean', 'checkDims', 'checkInteger', 'checkNumber', 'checkOptions', 'checkScalar', 'fail', 'namedArguments']);
  const checks = used(['checkString', 'dimList', 'tensorIds']);
  const functionsFile = header +
    `import { Op } from '../../core/dispatch.js';\n` +
    (used(['dtypeCode']).length ? `import { dtypeCode, type DTypeLike } from '../../core/dtype.js';\n` : '') +
    `import { native, type TensorId } from '../../core/native.js';\n` +
    (validate.length ? `import { ${validate.join(', ')} } from '../../core/validate.js';\n` : '') +
    `import { ${['checkOperand', 'checkTensor', 'idOrScalar'].filter((name) => name === 'checkTensor' || used([name]).length).join(', ')}, tensorFrom, type Tensor } from '../tensor.js';\n` +
    (checks.length ? `import { ${checks.join(', ')} } from '../checks.js';\n` : '') + '\n' +
    functionsBody;
  const generatedMethods = entries.filter((entry) => !entry.impl && (entry.variants ?? 'function, method').includes('method')).map((entry) => entry.function ?? `torch_${entry.name}`).sort();
  const methodsBody = methods.join('');
  const methodsFile = header +
    (/\bDTypeLike\b/.test(methodsBody) ? `import type { DTypeLike } from '../../core/dtype.js';\n` : '') +
    `import type { Tensor } from '../tensor.js';\n` +
    `import { ${generatedMethods.join(', ')} } from './ops.js';\n` +
    [...implImports].map(([file, fns]) => `import { ${fns.sort((a, b) => a.replace('type ', '').localeCompare(b.replace('type ', ''))).join(', ')} } from '../${file}.js';\n`).join('') +
    '\n' +
    `/** The arguments of a torch_* function after \`self\`: its method's. */\n` +
    `type MethodArgs<F> = F extends (self: Tensor, ...args: infer A) => unknown ? A : never;\n\n` +
    `/** The Tensor methods the op table declares (Tensor extends this class). */\n` +
    `export abstract class TensorMethods {\n${methodsBody}}\n`;
  // The public functions: those of function-variant entries (method-only ones stay in ops.ts).
  const publicFile = header + `export {\n${exported.sort().map((name) => `  ${name},`).join('\n')}\n} from './ops.js';\n`;
  return { 'ops.ts': functionsFile, 'functions.ts': publicFile, 'methods.ts': methodsFile };
}

const files = generate(await loadTable());
if (process.argv.includes('--check')) {
  const stale = Object.entries(files).filter(([name, text]) => {
    try { return readFileSync(join(outDir, name), 'utf8') !== text; } catch { return true; }
  });
  if (stale.length) {
    process.stderr.write(`src/ops/generated/${stale.map(([name]) => name).join(', ')} differ from what src/ops/table/ makes: run npm run gen-ops\n`);
    process.exit(1);
  }
} else {
  mkdirSync(outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(outDir, name), text);
}
