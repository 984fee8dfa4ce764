// nn_module_list and nn_module_dict (PyTorch's ModuleList and ModuleDict): what they register
// (parameters, state_dict keys as PyTorch names them, to(), train/eval), their list and dict
// methods, and the TypeError for modules held in a plain array or object. The numbers of a
// stack of them against PyTorch are in test/parity/nn.parity.test.ts (module_list, module_dict).
import { describe, expect, it } from 'vitest';
import {
  ModuleDict, ModuleList, nn_dropout, nn_linear, nn_Module, nn_module, nn_module_dict, nn_module_list, nn_relu,
  torch_ones, type Linear, type Tensor,
} from '../src/index.js';

class Stack extends nn_Module {
  layers = nn_module_list([nn_linear(4, 8), nn_relu(), nn_linear(8, 2)]);
  heads = nn_module_dict({ a: nn_linear(2, 1), b: nn_dropout(0.5) });
  override forward(x: Tensor): Tensor {
    for (const layer of this.layers) x = layer(x);
    return this.heads.a(x);
  }
}

describe('nn_module_list', () => {
  it('registers its modules as "0", "1", ...: parameters and state_dict keys are PyTorch\'s', () => {
    const stack = new Stack();
    expect(Object.keys(stack.state_dict())).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'heads.a.weight', 'heads.a.bias']);
    expect(stack.parameters).toHaveLength(6);
    expect(stack(torch_ones(3, 4)).shape).toEqual([3, 1]);
    expect(stack.layers).toBeInstanceOf(ModuleList);
    expect(String(stack.layers).split('\n')[0]).toBe('An `nn_module` containing 58 parameters.'); // 4·8 + 8 + 8·2 + 2
  });

  it('to() and train()/eval() reach the modules inside', () => {
    const stack = new Stack().to('float64');
    expect(stack.parameters.map((p) => p.dtype)).toEqual(new Array(6).fill('float64'));
    expect((stack.layers[0] as Linear).weight.dtype).toBe('float64');
    stack.eval();
    expect([...stack.layers].map((m) => m.training)).toEqual([false, false, false]);
    expect(stack.heads.b.training).toBe(false);
    stack.train();
    expect(stack.heads.get('b').training).toBe(true);
  });

  it('indexing, at(), length, iteration', () => {
    const [a, b, c] = [nn_linear(1, 1), nn_relu(), nn_linear(1, 2)];
    const list = nn_module_list([a, b, c]);
    expect(list.length).toBe(3);
    expect([list[0], list[1], list[2]]).toEqual([a, b, c]);
    expect([list.at(0), list.at(-1), list.at(-3)]).toEqual([a, c, a]);
    expect([...list]).toEqual([a, b, c]);
    expect(list.children).toEqual([a, b, c]);
    expect(nn_module_list().length).toBe(0);
  });

  it('append, extend, insert and pop keep the names dense and in order, as PyTorch', () => {
    const [a, b, c, d] = [nn_linear(1, 1), nn_linear(1, 2), nn_linear(1, 3), nn_linear(1, 4)];
    const list = nn_module_list<nn_Module>([a]).append(c).extend([d]);
    list.insert(1, b);
    expect([...list]).toEqual([a, b, c, d]);
    expect(Object.keys(list.named_children())).toEqual(['0', '1', '2', '3']);
    expect(Object.keys(list.state_dict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias', '3.weight', '3.bias']);
    list.insert(-1, nn_relu()); // before the last, as Python's list.insert
    expect(list.at(3)).not.toBe(d);
    expect(list.at(4)).toBe(d);
    expect(list.pop(3)).toBeInstanceOf(nn_Module);
    expect(list.pop()).toBe(d);
    expect(list.pop(0)).toBe(a);
    expect([...list]).toEqual([b, c]);
    expect(Object.keys(list.state_dict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    list.insert(2, a); // at length: appends
    expect(list[2]).toBe(a);
  });

  it('refuses what is not a module and indices out of range', () => {
    const list = nn_module_list([nn_relu()]);
    expect(() => nn_module_list([nn_relu(), 3 as never])).toThrow(new TypeError('Expected an nn_module for modules[1] but received 3'));
    expect(() => list.append({} as never)).toThrow(new TypeError('Expected an nn_module for module but received an instance of Object'));
    expect(() => list.at(1)).toThrow(new RangeError('Expected an index in [-1, 0] for index but received 1'));
    expect(() => list.at(-2)).toThrow(RangeError);
    expect(() => list.at(0.5)).toThrow(TypeError);
    expect(() => list.insert(3, nn_relu())).toThrow(RangeError);
    expect(() => nn_module_list().pop()).toThrow(/an index into a non-empty list/);
    expect(list.length).toBe(1);
  });

  it('has no forward of its own', () => {
    expect(() => (nn_module_list([nn_relu()]) as any)(torch_ones(1))).toThrow(/has no forward\(\) method/);
  });
});

describe('nn_module_dict', () => {
  it('registers its modules under their keys, in insertion order', () => {
    const [enc, dec] = [nn_linear(2, 3), nn_linear(3, 1)];
    const dict = nn_module_dict({ encoder: enc, decoder: dec });
    expect(dict).toBeInstanceOf(ModuleDict);
    expect(dict.encoder).toBe(enc);
    expect(dict.get('decoder')).toBe(dec);
    expect(dict.keys()).toEqual(['encoder', 'decoder']);
    expect(dict.values()).toEqual([enc, dec]);
    expect(dict.items()).toEqual([['encoder', enc], ['decoder', dec]]);
    expect([...dict]).toEqual(['encoder', 'decoder']); // iterating a ModuleDict gives its keys
    expect(dict.length).toBe(2);
    expect(Object.keys(dict.state_dict())).toEqual(['encoder.weight', 'encoder.bias', 'decoder.weight', 'decoder.bias']);
  });

  it('set and update replace in place, add at the end; pop, has, clear', () => {
    const [a, b, c, d] = [nn_linear(1, 1), nn_linear(1, 2), nn_linear(1, 3), nn_relu()];
    const dict = nn_module_dict(new Map<string, nn_Module>([['a', a], ['b', b]]));
    dict.update([['a', c], ['z', d]]);
    expect(dict.items()).toEqual([['a', c], ['b', b], ['z', d]]);
    dict.set('b', a);
    expect(dict.keys()).toEqual(['a', 'b', 'z']);
    expect(dict.has('z')).toBe(true);
    expect(dict.pop('z')).toBe(d);
    expect(dict.has('z')).toBe(false);
    expect(Object.keys(dict.named_parameters())).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    dict.clear();
    expect(dict.length).toBe(0);
    expect(dict.parameters).toEqual([]);
  });

  it('refuses missing keys, keys that are method names or dotted, and non-modules', () => {
    const dict = nn_module_dict({ a: nn_relu() });
    expect(() => dict.get('b')).toThrow(new RangeError('Expected a key of this nn_module_dict ("a") for key but received "b"'));
    expect(() => dict.pop('b')).toThrow(RangeError);
    expect(() => dict.set('keys', nn_relu())).toThrow(/a name that is not a method or property of nn_module_dict for name but received "keys"/);
    expect(() => dict.set('a.b', nn_relu())).toThrow(/without "\." for name/);
    expect(() => nn_module_dict({ a: 1 } as never)).toThrow(new TypeError('Expected an nn_module for modules["a"] but received 1'));
    expect(() => nn_module_dict([['a']] as never)).toThrow(/Expected a \[key, module\] pair for modules\[0\]/);
  });
});

describe('modules in a plain array or object are refused, plain values are not', () => {
  it('an array or object of modules assigned to a module is a TypeError pointing at the containers', () => {
    const ListHolder = nn_module({ initialize() { this.layers = [nn_linear(2, 2), nn_relu()]; } });
    expect(() => ListHolder()).toThrow(new TypeError('Expected nn_module_list(...) for a list of modules (modules in a plain array are not '
      + 'registered: no parameters, no to(), no state_dict) for layers but received an array of length 2'));
    const DictHolder = nn_module({ initialize() { this.blocks = { a: nn_linear(2, 2) }; } });
    expect(() => DictHolder()).toThrow(/Expected nn_module_dict\(\{\.\.\.\}\) for modules by name .* for blocks but received/);
    class Fields extends nn_Module {
      layers = [nn_relu()];
    }
    expect(() => new Fields()).toThrow(/nn_module_list/);
  });

  it('numbers, strings, arrays of numbers, plain config objects stay as they are', () => {
    const Holder = nn_module({ initialize() { this.sizes = [1, 2]; this.config = { depth: 2, name: 'x' }; this.scale = 0.5; this.none = null; } });
    const holder = Holder();
    expect(holder.sizes).toEqual([1, 2]);
    expect(holder.config).toEqual({ depth: 2, name: 'x' });
    expect(holder.parameters).toEqual([]);
  });
});
