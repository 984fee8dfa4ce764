// The version of the libtorch this addon links, for the few places where PyTorch's own Python
// lays out or computes something differently from one release to the next: torchlora does
// what the Python of the linked libtorch does, so that the two agree bit for bit.
import { native } from './native.js';

let linked: readonly [number, number] | undefined;

/** Whether the linked libtorch is `major.minor` or newer ("1.13.1", "2.13.0+cpu"). @internal */
export function libtorchAtLeast(major: number, minor: number): boolean {
  linked ??= native.config().version.split('.').slice(0, 2).map(Number) as [number, number];
  return linked[0] > major || (linked[0] === major && linked[1] >= minor);
}
