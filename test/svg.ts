// Test helper: reads an SVG with Python's xml.etree, a real XML parser, so "well-formed" means
// what a browser's parser would accept, not what our own writer believes.
import { spawnSync } from 'node:child_process';
import { PYTHON } from './parity/harness.js';

export interface ParsedSvg { root: string; polylines: number[][][]; rects: number; texts: string[] }

/** Parses an SVG with Python's xml.etree (a real XML parser); throws if it is not well-formed. */
export function parseSvg(svg: string): ParsedSvg {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
ns = '{http://www.w3.org/2000/svg}'
lines = [[[float(v) for v in p.split(',')] for p in e.get('points').split()] for e in root.iter(ns + 'polyline')]
print(json.dumps({'root': root.tag, 'polylines': lines, 'rects': len(list(root.iter(ns + 'rect'))), 'texts': [e.text for e in root.iter(ns + 'text')]}))`;
  const result = spawnSync(PYTHON, ['-c', script], { input: svg, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`not well-formed SVG: ${result.stderr}`);
  return JSON.parse(result.stdout) as ParsedSvg;
}
