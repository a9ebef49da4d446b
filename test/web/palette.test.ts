/**
 * The four validation-class colours stay apart for colour-blind readers: each pair is compared in
 * CIELAB (ΔE*ab, CIE76) after simulating protanopia, deuteranopia and tritanopia with the
 * full-severity matrices of Machado, Oliveira and Fernandes (2009), applied in linear sRGB — the
 * simulation used by DaltonLens and Chromium's own vision-deficiency emulation. ΔE 25 is a clearly
 * visible difference; the palette before this check had pairs at 8.
 */
import { describe, expect, it } from 'vitest';
import { VALIDATION_COLORS } from '../../src/render/palette.js';

type Matrix = [[number, number, number], [number, number, number], [number, number, number]];
const SIMULATIONS: Record<string, Matrix> = {
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
  'typical vision': [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
};

const linear = (c: number) => {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};
const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

/** Linear sRGB → CIELAB (D65). */
function lab([r, g, b]: number[]): [number, number, number] {
  const [R, G, B] = [r!, g!, b!].map((x) => Math.min(1, Math.max(0, x))) as [number, number, number];
  const X = 0.4124 * R + 0.3576 * G + 0.1805 * B;
  const Y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const Z = 0.0193 * R + 0.1192 * G + 0.9505 * B;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const [fx, fy, fz] = [f(X / 0.95047), f(Y), f(Z / 1.08883)];
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

function seenAs(hex: string, m: Matrix): [number, number, number] {
  const l = rgb(hex).map(linear);
  return lab(m.map((row) => row[0] * l[0]! + row[1] * l[1]! + row[2] * l[2]!));
}

const deltaE = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

function smallestDifference(fills: string[], m: Matrix): number {
  let min = Infinity;
  for (let i = 0; i < fills.length; i++) for (let j = i + 1; j < fills.length; j++) min = Math.min(min, deltaE(seenAs(fills[i]!, m), seenAs(fills[j]!, m)));
  return min;
}

describe('validation class colours for colour-blind readers', () => {
  it('the simulation itself: red and green collapse for deuteranopia, not for typical vision', () => {
    expect(smallestDifference(['#d62728', '#2ca02c'], SIMULATIONS.deuteranopia!)).toBeLessThan(15);
    expect(smallestDifference(['#d62728', '#2ca02c'], SIMULATIONS['typical vision']!)).toBeGreaterThan(60);
  });

  for (const [name, m] of Object.entries(SIMULATIONS)) {
    it(`every pair of classes stays at least 25 ΔE apart under ${name}`, () => {
      expect(smallestDifference(VALIDATION_COLORS.map((c) => c.fill), m)).toBeGreaterThanOrEqual(25);
    });
  }
});
