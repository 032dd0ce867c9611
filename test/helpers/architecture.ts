/**
 * The layering rules of README.md's "Layout" table as code: reads every import of the source
 * tree (static `import`/`export … from`, `import x = require()`, dynamic `import()`,
 * `require()`, `import('…')` types; also inside `.svelte` scripts and `.cts` files) with the
 * TypeScript parser, resolves relative ones to files, and reports each edge the table forbids.
 *
 * Pure over a `{ relativePath: sourceText }` map, so the rules can be tested on synthetic
 * trees; `readSourceTree` reads the real one.
 */
import { readdir, readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** One import found in a file. `specifier` is undefined for a computed `import(expr)`. */
export type ImportRef = {
  specifier: string | undefined;
  /** How it was written, for messages: `import`, `export from`, `import()`, `require()`, `import type`… */
  form: string;
  /** True when it vanishes at run time (`import type`, `export type`, all-type specifiers, `import('x').T`). */
  typeOnly: boolean;
  line: number;
  /** The source text of a computed specifier. */
  expression?: string;
};

/** Where a file belongs in the layers table. */
export type Layer = 'core' | 'api' | 'host' | 'electron' | 'server' | 'cli' | 'bench' | 'renderer' | 'other';

/** What an import points at. */
export type Target =
  | { kind: 'file'; file: string; layer: Layer }
  | { kind: 'builtin'; name: string }
  | { kind: 'package'; name: string }
  | { kind: 'unresolved' }
  | { kind: 'computed' };

/** An import the table forbids, with the file, the import and the rule it breaks. */
export type Violation = { file: string; line: number; specifier: string; rule: string; message: string };

/** Source files the checker reads. */
export const SOURCE_EXTENSIONS = ['.ts', '.cts', '.mts', '.js', '.cjs', '.mjs', '.svelte'];
export const SOURCE_ROOTS = ['src-main', 'src-renderer'];

/** The adapters: transports and entry points over api (and host), never importing each other. */
export const ADAPTERS: readonly Layer[] = ['electron', 'server', 'cli', 'bench'];

/** Which src-main layers each layer may import (its own always included). */
export const MAY_IMPORT: Record<Exclude<Layer, 'renderer' | 'other'>, readonly Layer[]> = {
  core: ['core'],
  api: ['api', 'core'],
  host: ['host', 'api', 'core'],
  electron: ['electron', 'host', 'api', 'core'],
  server: ['server', 'host', 'api', 'core'],
  cli: ['cli', 'api', 'core'],
  bench: ['bench', 'api', 'core'],
};

/** The only files of src-main the renderer may import: the contract and its wire module. */
export const RENDERER_ENTRY_FILES: readonly string[] = ['src-main/api/contract.ts', 'src-main/api/wire.ts'];

/**
 * Composition roots allowed to join two adapters, `from → to`. Only the CLI's executable:
 * it hands the server's `serve` to the CLI's `run(argv, deps)`, so `cli/index.ts` never
 * imports the server.
 */
export const COMPOSITION_EDGES: readonly (readonly [string, string])[] = [['src-main/cli/bin.ts', 'src-main/server/index.ts']];

/** Packages the renderer may load through the contract (they run in a browser). */
export const BROWSER_SAFE_PACKAGES: readonly string[] = ['zod'];

/** The sandboxed preload: its `require` knows only `electron`, so it has no other value import. */
export const PRELOAD_FILE = 'src-main/electron/preload.cts';

/** Globals that exist only in a browser page: core, api and host run in Node under every adapter. */
export const DOM_GLOBALS: readonly string[] = [
  'window', 'document', 'localStorage', 'sessionStorage', 'HTMLElement', 'HTMLCanvasElement', 'HTMLImageElement', 'HTMLInputElement',
  'Image', 'requestAnimationFrame', 'cancelAnimationFrame', 'customElements', 'getComputedStyle', 'MutationObserver', 'DOMParser', 'XMLHttpRequest',
];
const NODE_ONLY_LAYERS: readonly Layer[] = ['core', 'api', 'host'];

/** Layers where `import(expression)` is allowed: nothing above them imports them at run time by name. */
export const COMPUTED_IMPORTS_ALLOWED: readonly Layer[] = ['core', 'bench'];

/** The layer of a file from its repository-relative path (`/`-separated). */
export function layerOf(file: string): Layer {
  if (file.startsWith('src-renderer/')) return 'renderer';
  const match = /^src-main\/([^/]+)\//.exec(file);
  const folder = match?.[1];
  if (folder === 'core' || folder === 'api' || folder === 'host' || folder === 'electron' || folder === 'server' || folder === 'cli' || folder === 'bench') return folder;
  return 'other';
}

/** The script blocks of a `.svelte` file, each with the line it starts on (1-based). */
function svelteScripts(text: string): { code: string; firstLine: number }[] {
  const blocks: { code: string; firstLine: number }[] = [];
  for (const match of text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    const start = (match.index ?? 0) + match[0].indexOf('>') + 1;
    blocks.push({ code: match[1], firstLine: text.slice(0, start).split('\n').length });
  }
  return blocks;
}

const stringOf = (node: ts.Node | undefined): string | undefined =>
  node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;

/** Every import of one file's source text (see the module comment for the forms read). */
export function collectImports(file: string, text: string): ImportRef[] {
  if (file.endsWith('.svelte')) {
    return svelteScripts(text).flatMap(({ code, firstLine }) =>
      collectImports(`${file}.ts`, code).map((ref) => ({ ...ref, line: ref.line + firstLine - 1 })),
    );
  }
  const kind = /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, specifier: string | undefined, form: string, typeOnly: boolean, expression?: ts.Node) =>
    refs.push({
      specifier,
      form,
      typeOnly,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      ...(specifier === undefined && expression ? { expression: expression.getText(source) } : {}),
    });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = Boolean(clause && (clause.isTypeOnly || (!clause.name && named && named.length > 0 && named.every((e) => e.isTypeOnly))));
      add(node, stringOf(node.moduleSpecifier), typeOnly ? 'import type' : 'import', typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || Boolean(named && named.length > 0 && named.every((e) => e.isTypeOnly));
      add(node, stringOf(node.moduleSpecifier), typeOnly ? 'export type from' : 'export from', typeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, stringOf(node.moduleReference.expression), node.isTypeOnly ? 'import type = require()' : 'import = require()', node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const argument = ts.isLiteralTypeNode(node.argument) ? stringOf(node.argument.literal) : undefined;
      add(node, argument, "import('…') type", true);
    } else if (ts.isCallExpression(node)) {
      const [first] = node.arguments;
      const callee = node.expression;
      const isRequire =
        (ts.isIdentifier(callee) && callee.text === 'require') ||
        // createRequire(import.meta.url)('x')
        (ts.isCallExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'createRequire');
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(node, stringOf(first), 'import()', false, first);
      else if (isRequire && first) add(node, stringOf(first), 'require()', false, first);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

const RESOLVE_SUFFIXES: [RegExp, string[]][] = [
  [/\.js$/, ['.ts', '.js']],
  [/\.mjs$/, ['.mts', '.mjs']],
  [/\.cjs$/, ['.cts', '.cjs']],
];

/**
 * What `specifier` in `from` points at: a file of `files` (as NodeNext/bundler resolve a
 * relative path: `.js` → `.ts`, `.cjs` → `.cts`, no extension → `.ts`/`/index.ts`), a Node
 * built-in, a package (by name), or unresolved.
 */
export function resolveImport(from: string, ref: ImportRef, files: ReadonlySet<string>): Target {
  const { specifier } = ref;
  if (specifier === undefined) return { kind: 'computed' };
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    const candidates = [base];
    for (const [pattern, replacements] of RESOLVE_SUFFIXES) {
      if (pattern.test(base)) candidates.push(...replacements.map((suffix) => base.replace(pattern, suffix)));
    }
    candidates.push(`${base}.ts`, `${base}/index.ts`);
    const file = candidates.find((candidate) => files.has(candidate));
    return file ? { kind: 'file', file, layer: layerOf(file) } : { kind: 'unresolved' };
  }
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return { kind: 'builtin', name: specifier };
  const parts = specifier.split('/');
  return { kind: 'package', name: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] };
}

/** How a target reads in a message. */
function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'file':
      return target.file;
    case 'builtin':
      return `Node built-in ${target.name}`;
    case 'package':
      return `package ${target.name}`;
    case 'unresolved':
      return 'no file';
    case 'computed':
      return 'a computed specifier';
  }
}

const FOLDER: Record<Layer, string> = {
  core: 'src-main/core/',
  api: 'src-main/api/',
  host: 'src-main/host/',
  electron: 'src-main/electron/',
  server: 'src-main/server/',
  cli: 'src-main/cli/',
  bench: 'src-main/bench/',
  renderer: 'src-renderer/',
  other: 'src-main/',
};

/**
 * The rule a single edge breaks, or null. `from` is the importing file; `target` what the
 * import resolves to. The renderer's transitive rule is checked by `checkTree`.
 */
export function ruleForEdge(from: string, ref: ImportRef, target: Target): { rule: string; why: string } | null {
  const layer = layerOf(from);
  if (layer === 'other') return { rule: 'layers-table', why: `${from} is in no layer of the table (core, api, host, electron, server, cli, bench): put it in one` };
  if (target.kind === 'unresolved') return { rule: 'resolvable', why: 'a relative import must name a file of the source tree' };
  if (target.kind === 'computed') {
    // Core chooses backend packages and worker entries at run time, the bench loads optional
    // engines; everywhere else imports must be literal so that this test can check them.
    return COMPUTED_IMPORTS_ALLOWED.includes(layer) ? null : { rule: 'literal-imports', why: `${FOLDER[layer]} imports only literal specifiers (computed ones are allowed in ${COMPUTED_IMPORTS_ALLOWED.join(' and ')} alone)` };
  }
  if (layer === 'renderer') {
    if (target.kind === 'builtin') return { rule: 'renderer-no-node', why: 'the renderer never imports Node built-ins (it runs in a sandboxed page)' };
    if (target.kind === 'package' && target.name === 'electron') return { rule: 'renderer-no-electron', why: 'the renderer never imports electron (the preload bridge is its only way out)' };
    if (target.kind === 'file' && target.layer !== 'renderer' && !RENDERER_ENTRY_FILES.includes(target.file)) {
      return { rule: 'renderer-only-contract', why: `the renderer imports nothing from src-main but ${RENDERER_ENTRY_FILES.join(' and ')}` };
    }
    return null;
  }
  if (from === PRELOAD_FILE && !ref.typeOnly && !(target.kind === 'package' && target.name === 'electron')) {
    return { rule: 'preload-self-contained', why: 'the sandboxed preload value-imports only electron (its require knows nothing else); import the contract as types' };
  }
  if (target.kind === 'package' && target.name === 'electron' && layer !== 'electron') {
    return { rule: 'electron-only-in-adapter', why: `only src-main/electron/ imports electron; ${FOLDER[layer]} must run under plain Node` };
  }
  if (target.kind !== 'file') return null;
  if (target.layer === 'renderer') return { rule: 'main-no-renderer', why: 'src-main never imports the renderer' };
  if (target.layer === 'other') return { rule: 'layers-table', why: `${target.file} is in no layer of the table: put it in one` };
  if (MAY_IMPORT[layer].includes(target.layer)) return null;
  if (ADAPTERS.includes(layer) && ADAPTERS.includes(target.layer)) {
    if (COMPOSITION_EDGES.some(([a, b]) => a === from && b === target.file)) return null;
    return { rule: 'adapters-independent', why: `adapters (${ADAPTERS.map((a) => FOLDER[a]).join(', ')}) never import each other; compose them in an entry point (see COMPOSITION_EDGES)` };
  }
  return { rule: `${layer}-imports`, why: `${layer} (${FOLDER[layer]}) imports only ${MAY_IMPORT[layer].join(', ')}; never ${target.layer}` };
}

/** Free references to DOM globals in Node-only layers (`document`, `window.x`, `globalThis.document`). */
export function domReferences(file: string, text: string): { name: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declared = new Set<string>();
  const used: { name: string; node: ts.Node }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node) || ts.isBindingElement(node) || ts.isImportSpecifier(node) || ts.isImportClause(node) || ts.isNamespaceImport(node)) && node.name && ts.isIdentifier(node.name)) {
      declared.add(node.name.text);
    }
    if (ts.isIdentifier(node) && DOM_GLOBALS.includes(node.text)) {
      const parent = node.parent;
      const isMemberName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node && !(ts.isIdentifier(parent.expression) && ['globalThis', 'self'].includes(parent.expression.text))) ||
        ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertySignature(parent) || ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent)) && parent.name === node) ||
        (ts.isQualifiedName(parent) && parent.right === node);
      if (!isMemberName) used.push({ name: node.text, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const lines = used
    .filter(({ name, node }) => !declared.has(name) || (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node))
    .map(({ name, node }) => ({ name, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 }));
  for (const reference of source.libReferenceDirectives) {
    if (/^dom/i.test(reference.fileName)) lines.push({ name: `/// <reference lib="${reference.fileName}" />`, line: source.getLineAndCharacterOfPosition(reference.pos).line + 1 });
  }
  return lines;
}

const isSource = (file: string): boolean => SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext)) && !file.endsWith('.d.ts');

/** One resolved edge of the tree. */
export type Edge = { from: string; ref: ImportRef; target: Target };

/** Every import of every file in `files`, resolved. */
export function edgesOf(files: Readonly<Record<string, string>>): Edge[] {
  const names = new Set(Object.keys(files));
  return Object.entries(files)
    .filter(([file]) => isSource(file))
    .flatMap(([from, text]) => collectImports(from, text).map((ref) => ({ from, ref, target: resolveImport(from, ref, names) })));
}

/** One violation's message: file:line, the import, what it resolves to and the rule. */
export function formatViolation(from: string, ref: ImportRef, target: Target, rule: string, why: string): Violation {
  const written = ref.specifier ?? `(${ref.expression ?? '?'})`;
  return { file: from, line: ref.line, specifier: written, rule, message: `${from}:${ref.line}: ${ref.form} '${written}' (${describeTarget(target)}) breaks "${rule}": ${why}` };
}

/**
 * Checks a whole tree (`{ 'src-main/core/x.ts': text, … }`): every edge against the table,
 * DOM globals in core/api/host, and what the renderer loads at run time through the
 * contract: its value imports, followed transitively through src-main, reach no Node
 * built-in, no electron and no package but BROWSER_SAFE_PACKAGES.
 */
export function checkTree(files: Readonly<Record<string, string>>): Violation[] {
  const edges = edgesOf(files);
  const violations: Violation[] = [];
  for (const { from, ref, target } of edges) {
    const broken = ruleForEdge(from, ref, target);
    if (broken) violations.push(formatViolation(from, ref, target, broken.rule, broken.why));
  }
  for (const [file, text] of Object.entries(files)) {
    if (!NODE_ONLY_LAYERS.includes(layerOf(file)) || !isSource(file)) continue;
    for (const { name, line } of domReferences(file, text)) {
      violations.push({ file, line, specifier: name, rule: 'no-dom', message: `${file}:${line}: uses the DOM global ${name} breaks "no-dom": ${layerOf(file)} runs in Node (core, api and host never use the DOM)` });
    }
  }
  // What the page loads from src-main at run time: follow value imports from the entry files
  // (an import of any other src-main file is already a violation above).
  const byFile = new Map<string, Edge[]>();
  for (const edge of edges) byFile.set(edge.from, [...(byFile.get(edge.from) ?? []), edge]);
  const entries = edges.filter((e) => layerOf(e.from) === 'renderer' && !e.ref.typeOnly && e.target.kind === 'file' && RENDERER_ENTRY_FILES.includes(e.target.file)).map((e) => (e.target as { file: string }).file);
  const seen = new Set<string>();
  const queue = [...new Set(entries)].map((file) => ({ file, via: [file] }));
  while (queue.length > 0) {
    const { file, via } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { ref, target } of byFile.get(file) ?? []) {
      if (ref.typeOnly) continue;
      if (target.kind === 'file') {
        if (!seen.has(target.file)) queue.push({ file: target.file, via: [...via, target.file] });
        continue;
      }
      const nodeOnly = target.kind === 'builtin' || (target.kind === 'package' && !BROWSER_SAFE_PACKAGES.includes(target.name)) || target.kind === 'computed';
      if (nodeOnly) {
        violations.push(
          formatViolation(file, ref, target, 'renderer-loads-browser-code', `the renderer loads this file at run time (${via.join(' → ')}); what it loads may import only other such files, type-only modules and ${BROWSER_SAFE_PACKAGES.join(', ')}`),
        );
      }
    }
  }
  return violations.sort((a, b) => a.message.localeCompare(b.message));
}

/**
 * Reads the files under SOURCE_ROOTS of `root` (skipping dot folders), keyed by `/`-separated
 * relative path: source files with their text, other files (CSS, images) as '' so that an
 * import of them resolves.
 */
export async function readSourceTree(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory()) await walk(relative);
      else files[relative] = isSource(relative) ? await readFile(path.join(root, relative), 'utf8') : '';
    }
  };
  for (const dir of SOURCE_ROOTS) await walk(dir);
  return files;
}
