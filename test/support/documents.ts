/** `F0` spreads `F1` twice, `F1` spreads `F2` twice, … : 2^levels spreads when followed naively. */
export function fragmentBomb(levels: number): string {
  let document = 'query { ...F0 }\n';
  for (let level = 0; level < levels; level++) document += `fragment F${level} on Query { __typename ...F${level + 1} ...F${level + 1} }\n`;
  return `${document}fragment F${levels} on Query { __typename }\n`;
}
