// A bench result as an SVG bar chart: one panel per table, one horizontal bar per case, bars
// scaled to the fastest case of their table (tables measure different things, so never to each
// other), each labelled with its ops/s.
import type { BenchTable } from './suite.js';

const WIDTH = 760;
const LABEL_WIDTH = 330;
const BAR_SPACE = WIDTH - LABEL_WIDTH - 90;
const ROW_HEIGHT = 22;
const TITLE_HEIGHT = 30;
const PANEL_GAP = 16;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function chartSvg(heading: string, tables: readonly BenchTable[], format: (hz: number) => string): string {
  const parts: string[] = [];
  let y = TITLE_HEIGHT + 10;
  parts.push(`<text x="10" y="24" font-size="16" font-weight="bold">${escape(heading)}</text>`);
  for (const table of tables) {
    parts.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold">${escape(table.title)}</text>`);
    y += TITLE_HEIGHT - 6;
    const fastest = Math.max(...table.rows.map((row) => row.hz), 1);
    for (const row of table.rows) {
      const width = Math.max(1, (row.hz / fastest) * BAR_SPACE);
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" font-size="12" text-anchor="end">${escape(row.name)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW_HEIGHT - 6}" fill="#4a7bd0"/>`,
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 15}" font-size="12">${escape(format(row.hz))}</text>`,
      );
      y += ROW_HEIGHT;
    }
    y += PANEL_GAP;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
