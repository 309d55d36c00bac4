import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { EvaluationResult } from './evaluate.js';

/** A chart as SVG, and as PNG when a font could be found for its text. */
export interface RenderedPlot {
  readonly name: string;
  readonly svg: string;
  readonly png: Buffer;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** vega-lite spec -> SVG, rendered headless (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Folders that commonly hold TrueType fonts; the first that exists is given to resvg. */
const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/truetype', '/usr/share/fonts', '/usr/local/share/fonts', '/System/Library/Fonts', 'C:\\Windows\\Fonts'];

export interface FontChoice {
  readonly dirs: readonly string[];
  readonly family: string;
}

/** Finds font files at run time: resvg draws no text without one. undefined when there are none. */
export function findFonts(): FontChoice | undefined {
  const dirs = FONT_DIRS.filter((dir) => existsSync(dir) && hasFontFile(dir));
  if (dirs.length === 0) return undefined;
  const dejaVu = dirs.some((dir) => hasFontFile(dir, /^DejaVuSans\.ttf$/i));
  return { dirs, family: dejaVu ? 'DejaVu Sans' : 'sans-serif' };
}

function hasFontFile(dir: string, pattern = /\.(ttf|otf|ttc)$/i, depth = 2): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((entry) =>
    entry.isDirectory() ? depth > 0 && hasFontFile(join(dir, entry.name), pattern, depth - 1) : pattern.test(entry.name),
  );
}

/** SVG -> PNG at twice the size; text is drawn only when `fonts` is given. */
export function svgToPng(svg: string, fonts: FontChoice | undefined): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    font: fonts === undefined
      ? { loadSystemFonts: false }
      : { loadSystemFonts: false, fontDirs: [...fonts.dirs], defaultFontFamily: fonts.family, sansSerifFamily: fonts.family },
  });
  return Buffer.from(resvg.render().asPng());
}

/** ROC curves of every variant, per attack set; linear and with a log FPR axis (the low-FPR end matters). */
export function rocSpec(result: EvaluationResult, attackSet: string, logScale: boolean): TopLevelSpec {
  const values = result.curves
    .filter((curve) => curve.attackSet === attackSet)
    .flatMap((curve) =>
      curve.points
        .filter((p) => !logScale || p.fpr > 0)
        .map((p) => ({ variant: curve.variant, fpr: logScale ? Math.max(p.fpr, 1e-4) : p.fpr, tpr: p.tpr })),
    );
  return {
    $schema: SCHEMA,
    title: { text: `ROC: ${attackSet} vs benign`, subtitle: logScale ? 'log FPR axis' : undefined },
    width: 420,
    height: 360,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8 },
    encoding: {
      x: {
        field: 'fpr',
        type: 'quantitative',
        title: 'false-positive rate (benign)',
        scale: logScale ? { type: 'log', domain: [0.001, 1] } : { domain: [0, 1] },
        axis: logScale ? { values: [0.001, 0.01, 0.1, 1], format: '~%' } : { format: '~%' },
      },
      y: { field: 'tpr', type: 'quantitative', title: 'true-positive rate', scale: { domain: [0, 1] }, axis: { format: '~%' } },
      color: {
        field: 'variant',
        type: 'nominal',
        title: null,
        scale: { domain: [...new Set(result.variants.map((v) => v.name))] },
        legend: { orient: 'bottom-right', labelLimit: 260 },
      },
      order: { field: 'fpr', type: 'quantitative' },
    },
  } as TopLevelSpec;
}

/** Histogram of the `all detectors` scores per population, each normalized to its own size. */
export function distributionSpec(result: EvaluationResult): TopLevelSpec {
  const bins = 40;
  const values = result.distributions.flatMap(({ population, scores }) => {
    const counts = new Array<number>(bins).fill(0);
    for (const score of scores) counts[Math.min(bins - 1, Math.max(0, Math.floor(score * bins)))]! += 1;
    return counts.map((count, bin) => ({ population: `${population} (${scores.length})`, start: bin / bins, end: (bin + 1) / bins, share: scores.length === 0 ? 0 : count / scores.length }));
  });
  const threshold = result.variants[0]?.threshold ?? 0;
  return {
    $schema: SCHEMA,
    title: { text: 'Session risk by label', subtitle: `dashed: threshold at 1% FPR on benign (${threshold.toFixed(4)})` },
    width: 420,
    height: 110,
    data: { values },
    facet: { row: { field: 'population', type: 'nominal', title: null, sort: result.distributions.map((d) => `${d.population} (${d.scores.length})`), header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' } } },
    spec: {
      width: 420,
      height: 90,
      layer: [
        {
          mark: { type: 'bar', binSpacing: 0 },
          encoding: {
            x: { field: 'start', type: 'quantitative', bin: { binned: true, step: 1 / bins }, title: 'risk', scale: { domain: [0, 1] } },
            x2: { field: 'end' },
            y: { field: 'share', type: 'quantitative', title: 'share (sqrt)', scale: { type: 'sqrt', domain: [0, 1] }, axis: { format: '~%', values: [0, 0.1, 0.5, 1] } },
            color: { field: 'population', type: 'nominal', legend: null },
          },
        },
        { mark: { type: 'rule', strokeDash: [4, 3], color: 'black' }, encoding: { x: { datum: threshold } } },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
}

/** Every plot of a report: ROC per attack set (linear and log FPR) and the score distributions. */
export async function renderEvaluationPlots(result: EvaluationResult, fonts: FontChoice | undefined): Promise<RenderedPlot[]> {
  const attackSets = [...new Set(result.curves.map((c) => c.attackSet))];
  const specs: Array<{ name: string; spec: TopLevelSpec }> = [];
  const suffixes = ['', '-harmful', '-with-harmful-call'];
  attackSets.forEach((set, i) => {
    const suffix = suffixes[i] ?? `-set${i}`;
    specs.push({ name: `roc${suffix}`, spec: rocSpec(result, set, false) }, { name: `roc${suffix}-log`, spec: rocSpec(result, set, true) });
  });
  specs.push({ name: 'score-distribution', spec: distributionSpec(result) });
  const plots: RenderedPlot[] = [];
  for (const { name, spec } of specs) {
    const svg = await renderSvg(spec);
    plots.push({ name, svg, png: svgToPng(svg, fonts) });
  }
  return plots;
}
