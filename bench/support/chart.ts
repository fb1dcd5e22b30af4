// A bench result as an SVG bar chart: one panel per table, one horizontal bar per case, bars
// scaled to the fastest case of their table (tables measure different things, so never to each
// other), each labelled with its ops/s.
import type { BenchTable } from './suite.js';

/** Room for a bar at its longest, and for its ops/s figure after it. */
const BAR_SPACE = 340;
const VALUE_SPACE = 80;
/** An upper bound of the width of one 12px sans-serif character, for sizing the label column. */
const CHAR_WIDTH = 7;
const ROW_HEIGHT = 22;
const TITLE_HEIGHT = 30;
const PANEL_GAP = 16;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function chartSvg(heading: string, tables: readonly BenchTable[], format: (hz: number) => string): string {
  const longestLabel = Math.max(...tables.flatMap((table) => table.rows.map((row) => row.name.length)), 10);
  const labelWidth = 16 + longestLabel * CHAR_WIDTH;
  const titleWidth = 20 + Math.max(heading.length, ...tables.map((table) => table.title.length)) * CHAR_WIDTH;
  const width = Math.max(labelWidth + BAR_SPACE + VALUE_SPACE, titleWidth);
  const parts: string[] = [];
  let y = TITLE_HEIGHT + 10;
  parts.push(`<text x="10" y="24" font-size="16" font-weight="bold">${escape(heading)}</text>`);
  for (const table of tables) {
    parts.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold">${escape(table.title)}</text>`);
    y += TITLE_HEIGHT - 6;
    const fastest = Math.max(...table.rows.map((row) => row.hz), 1);
    for (const row of table.rows) {
      const bar = Math.max(1, (row.hz / fastest) * BAR_SPACE);
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 15}" font-size="12" text-anchor="end">${escape(row.name)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${bar.toFixed(1)}" height="${ROW_HEIGHT - 6}" fill="#4a7bd0"/>`,
        `<text x="${(labelWidth + bar + 6).toFixed(1)}" y="${y + 15}" font-size="12">${escape(format(row.hz))}</text>`,
      );
      y += ROW_HEIGHT;
    }
    y += PANEL_GAP;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
