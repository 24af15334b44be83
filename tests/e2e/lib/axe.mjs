// axe.mjs — runs axe-core in a page (whose context was opened with
// bypassCSP, since the server's CSP rightly forbids injected scripts) and
// fails on serious or critical violations; lesser ones are printed.
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export async function checkA11y(page, where) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined')))
    await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of result.filter((x) => !bad.includes(x)))
    console.log(`axe ${where}: ${v.impact} ${v.id}: ${v.help} [${v.nodes.join(', ')}]`);
  assert.deepEqual(bad, [], `axe found serious or critical problems on ${where}:\n${JSON.stringify(bad, null, 2)}`);
}
