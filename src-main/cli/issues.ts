/**
 * Dataset issues as the CLI prints them: a few of each kind, then a count, and the whole
 * list in a file, so a folder with thousands of duplicates prints a bounded number of lines.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetIssue } from '../api/contract.js';
import { escapeControl } from './output.js';

/** How many issues of one kind (severity + code) are printed before the rest are counted. */
export const ISSUES_SHOWN_PER_KIND = 10;

export type IssueSummary = { lines: string[]; omitted: number };

/** Groups by kind in order of first appearance; at most `perKind` lines of each, then `… and K more <kind>`. */
export function summariseIssues(issues: readonly DatasetIssue[], perKind = ISSUES_SHOWN_PER_KIND): IssueSummary {
  const kinds = new Map<string, DatasetIssue[]>();
  for (const issue of issues) {
    const kind = `${issue.severity} ${issue.code}`;
    const list = kinds.get(kind) ?? [];
    list.push(issue);
    kinds.set(kind, list);
  }
  const lines: string[] = [];
  let omitted = 0;
  for (const list of kinds.values()) {
    for (const issue of list.slice(0, perKind)) lines.push(`  ${issue.severity}: ${issue.message}`);
    const more = list.length - perKind;
    if (more > 0) {
      omitted += more;
      lines.push(`  … and ${more} more ${list[0].code} (${list[0].severity})`);
    }
  }
  return { lines, omitted };
}

/** One issue per line, tab-separated, with control characters escaped (one file = one line). */
export function issuesFileText(root: string, issues: readonly DatasetIssue[]): string {
  const row = (cells: string[]): string => cells.map(escapeControl).join('\t');
  return [`# ${issues.length} issues in ${escapeControl(root)}`, row(['severity', 'code', 'path', 'message']), ...issues.map((i) => row([i.severity, i.code, i.path, i.message]))].join('\n') + '\n';
}

/** Writes the full list to `<dataDir>/dataset-issues/<datasetId>.tsv` and returns its path. */
export async function writeIssuesFile(dataDir: string, datasetId: string, root: string, issues: readonly DatasetIssue[]): Promise<string> {
  const dir = path.join(dataDir, 'dataset-issues');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${datasetId.replace(/[^\w.-]/g, '_')}.tsv`);
  await writeFile(file, issuesFileText(root, issues));
  return file;
}
