#!/usr/bin/env node
/**
 * `npm run engine:install-tensorflow -- [--from WHEEL_OR_DIR] [--pip] [--gpu]`
 *
 * Gives TF.js its real TensorFlow backend without the download that @tensorflow/tfjs-node's
 * install script does (libtensorflow 2.9.1, which fails offline and needs CUDA 11.2 for -gpu):
 * installs the package with scripts skipped, takes the TensorFlow C library from a TensorFlow
 * pip wheel (or a folder holding it), and builds the package's binding against it with node-gyp.
 * Everything written stays inside this project's node_modules.
 *
 *   --from PATH  a tensorflow / tensorflow-cpu wheel (.whl), or a folder with
 *                libtensorflow_cc.so.2 + libtensorflow_framework.so.2 (an unpacked wheel's
 *                `tensorflow/` folder, or a site-packages/tensorflow of a pip install)
 *   --pip        no --from: `pip download` the wheel (tensorflow-cpu==2.21.0, or tensorflow==2.21.0
 *                with --gpu) into node_modules/.cache/retrain-studio-tensorflow
 *   --gpu        build @tensorflow/tfjs-node-gpu instead (needs a CUDA build of TensorFlow, i.e. the
 *                `tensorflow` wheel, and CUDA 12 + cuDNN at run time: see the README)
 *
 * Exit codes: 0 built and verified · 2 usage · 3 missing tool (compiler, python, node headers) ·
 * 4 wrong library (not a TensorFlow C library, other CPU) · 5 the built binding does not load (ABI
 * mismatch) · 1 anything else.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { renameSync, closeSync, openSync, readSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, copyFileSync, linkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const CACHE = path.join(NODE_MODULES, '.cache', 'retrain-studio-tensorflow');
const TF_VERSION = '2.21.0';

class Failure extends Error {
  constructor(code, message) {
    super(message);
    this.exitCode = code;
  }
}

const step = (n, total, text) => console.log(`[${n}/${total}] ${text}`);

function parseArgs(argv) {
  const args = { gpu: false, pip: false, from: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--gpu') args.gpu = true;
    else if (a === '--pip') args.pip = true;
    else if (a === '--from') args.from = argv[++i];
    else if (a.startsWith('--from=')) args.from = a.slice(7);
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      process.exit(0);
    } else throw new Failure(2, `Unknown argument "${a}". Usage: install-tensorflow [--from WHEEL_OR_DIR] [--pip] [--gpu]`);
  }
  if (args.from === undefined && !args.pip) throw new Failure(2, 'Say where the TensorFlow C library comes from: --from WHEEL_OR_DIR, or --pip to download the wheel with pip.');
  if (args.from !== undefined && args.pip) throw new Failure(2, '--from and --pip contradict each other: give one.');
  if (args.from === '') throw new Failure(2, '--from needs a path.');
  return args;
}

function have(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0] : undefined;
}

/** node-gyp needs a C++ compiler, make, python3 and Node's headers (here: never downloaded). */
function checkTools() {
  const cxx = process.env.CXX || 'c++';
  const compiler = have(cxx);
  if (!compiler) throw new Failure(3, `No C++ compiler: "${cxx} --version" failed. Install one (Debian/Ubuntu: apt-get install g++ make; macOS: xcode-select --install), or set CXX.`);
  if (!have('make')) throw new Failure(3, 'No "make": install it (Debian/Ubuntu: apt-get install make).');
  const python = have('python3');
  if (!python) throw new Failure(3, 'No python3: node-gyp needs it (and --pip needs pip).');
  // Node's headers: beside the node binary (official tarballs, nvm) or /usr (Debian's nodejs).
  const candidates = [path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  const nodedir = candidates.find((d) => existsSync(path.join(d, 'include', 'node', 'node_api.h')));
  if (!nodedir) {
    throw new Failure(3, `Node.js headers (include/node/node_api.h) not found under ${candidates.join(', ')}; install them (Debian: apt-get install libnode-dev) — node-gyp would otherwise download them.`);
  }
  const gyp = ['node_modules/node-gyp/bin/node-gyp.js', path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]
    .map((p) => path.resolve(ROOT, p))
    .find((p) => existsSync(p));
  if (!gyp) throw new Failure(3, 'node-gyp not found (neither in node_modules nor in npm\'s own node_modules).');
  return { compiler, python, nodedir, gyp };
}

function tfjsVersion() {
  const pkg = JSON.parse(readFileSync(path.join(NODE_MODULES, '@tensorflow', 'tfjs', 'package.json'), 'utf8'));
  return pkg.version;
}

function ensurePackage(pkgName, version) {
  const dir = path.join(NODE_MODULES, ...pkgName.split('/'));
  const installed = existsSync(path.join(dir, 'package.json')) ? JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version : undefined;
  if (installed === version && existsSync(path.join(dir, 'binding.gyp'))) {
    console.log(`    ${pkgName}@${version} already installed`);
    return dir;
  }
  console.log(`    npm install --no-save --ignore-scripts ${pkgName}@${version}`);
  const npm = process.env.npm_execpath;
  const [cmd, pre] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const r = spawnSync(cmd, [...pre, 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${pkgName}@${version}`], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Failure(1, `npm could not install ${pkgName}@${version} (exit ${r.status}); it needs the npm registry or a cache that holds it.`);
  return dir;
}

function pipDownload(gpu) {
  const spec = `${gpu ? 'tensorflow' : 'tensorflow-cpu'}==${TF_VERSION}`;
  mkdirSync(CACHE, { recursive: true });
  const existing = readdirSync(CACHE).find((f) => f.endsWith('.whl') && f.startsWith(gpu ? 'tensorflow-' : 'tensorflow_cpu-'));
  if (existing) {
    console.log(`    using ${path.join(CACHE, existing)} (downloaded before)`);
    return path.join(CACHE, existing);
  }
  console.log(`    python3 -m pip download ${spec} --no-deps --no-cache-dir -d ${CACHE}`);
  // --no-cache-dir: nothing written outside node_modules (pip would keep a copy in ~/.cache/pip).
  const r = spawnSync('python3', ['-m', 'pip', 'download', spec, '--no-deps', '--no-cache-dir', '--retries', '1', '-d', CACHE], { stdio: 'inherit' });
  if (r.status !== 0) throw new Failure(1, `pip could not download ${spec} (exit ${r.status}): it needs PyPI or a configured index. Download the wheel elsewhere and pass --from FILE.whl.`);
  const wheel = readdirSync(CACHE).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Failure(1, `pip reported success but left no wheel in ${CACHE}.`);
  return path.join(CACHE, wheel);
}

const LIBS = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
// The binding includes tensorflow/c/c_api.h and c/eager/c_api.h; those reach into these folders.
const HEADER_PREFIXES = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/platform/', 'xla/tsl/c/', 'tsl/c/'];

/** Checks an ELF library is a shared object for this CPU (not a Python extension of another arch). */
function checkElf(file) {
  const head = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  readSync(fd, head, 0, 20, 0);
  closeSync(fd);
  if (head.readUInt32BE(0) !== 0x7f454c46) throw new Failure(4, `${file} is not an ELF shared library (a Linux TensorFlow wheel holds one; macOS and Windows wheels are not supported by this script).`);
  const machine = head.readUInt16LE(18);
  const want = { x64: 0x3e, arm64: 0xb7 }[process.arch];
  if (want !== undefined && machine !== want) throw new Failure(4, `${file} is built for another CPU (ELF machine 0x${machine.toString(16)}, this is ${process.arch}): use the wheel for ${process.arch}.`);
}

/** Puts the two libraries and the C API headers into <pkg>/deps from a wheel or a folder. */
function stageLibrary(from, pkgDir) {
  // Staged beside deps/ and swapped in only when complete: a bad --from leaves a working build alone.
  const deps = path.join(pkgDir, 'deps.staging');
  rmSync(deps, { recursive: true, force: true });
  process.on('exit', () => rmSync(deps, { recursive: true, force: true }));
  mkdirSync(path.join(deps, 'lib'), { recursive: true });
  mkdirSync(path.join(deps, 'include'), { recursive: true });
  const source = path.resolve(from);
  if (!existsSync(source)) throw new Failure(2, `--from ${from}: no such file or folder.`);
  if (statSync(source).isFile()) {
    if (!source.endsWith('.whl')) throw new Failure(4, `--from ${from}: expected a TensorFlow wheel (.whl) or a folder.`);
    // Extract only what the build needs (the wheel is ~270 MB; the C++ library alone ~800 MB).
    const py = `
import sys, zipfile, os, shutil
whl, deps, prefixes = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
libs = sys.argv[4].split(',')
z = zipfile.ZipFile(whl)
names = set(z.namelist())
missing = [l for l in libs if 'tensorflow/' + l not in names]
if missing:
    print('MISSING ' + ','.join(missing)); sys.exit(7)
for lib in libs:
    with z.open('tensorflow/' + lib) as s, open(os.path.join(deps, 'lib', lib), 'wb') as d: shutil.copyfileobj(s, d, 1 << 20)
n = 0
for name in names:
    if name.endswith('/') or not name.startswith('tensorflow/include/'): continue
    rel = name[len('tensorflow/include/'):]
    if not any(rel.startswith(p) for p in prefixes): continue
    out = os.path.join(deps, 'include', rel); os.makedirs(os.path.dirname(out), exist_ok=True)
    with z.open(name) as s, open(out, 'wb') as d: shutil.copyfileobj(s, d)
    n += 1
print('HEADERS %d' % n)
`;
    const r = spawnSync('python3', ['-c', py, source, deps, HEADER_PREFIXES.join(','), LIBS.join(',')], { encoding: 'utf8' });
    if (r.status === 7) throw new Failure(4, `${from} is not a TensorFlow wheel with the C library: it lacks ${r.stdout.trim().slice(8)} (use tensorflow or tensorflow-cpu ≥ 2.12 for Linux).`);
    if (r.status !== 0) throw new Failure(4, `Could not read ${from} as a wheel: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    console.log(`    extracted ${LIBS.join(' + ')} and ${r.stdout.trim().split(' ')[1]} headers`);
  } else {
    const dir = [source, path.join(source, 'tensorflow')].find((d) => LIBS.every((l) => existsSync(path.join(d, l))));
    if (!dir) throw new Failure(4, `${from} holds no ${LIBS.join(' and ')} (give an unpacked wheel, or a pip-installed site-packages/tensorflow folder).`);
    for (const lib of LIBS) {
      // Hard links cost no space; across file systems, copy.
      try {
        linkSync(path.join(dir, lib), path.join(deps, 'lib', lib));
      } catch {
        copyFileSync(path.join(dir, lib), path.join(deps, 'lib', lib));
      }
    }
    const include = path.join(dir, 'include');
    if (!existsSync(path.join(include, 'tensorflow', 'c', 'c_api.h'))) throw new Failure(4, `${include}/tensorflow/c/c_api.h is missing: the folder must carry the wheel's include/ too.`);
    execFileSync('cp', ['-r', path.join(include, 'tensorflow'), path.join(deps, 'include')]);
    for (const extra of ['tsl', 'xla']) if (existsSync(path.join(include, extra))) execFileSync('cp', ['-r', path.join(include, extra), path.join(deps, 'include')]);
    console.log(`    linked ${LIBS.join(' + ')} from ${dir}`);
  }
  for (const lib of LIBS) checkElf(path.join(deps, 'lib', lib));
  // binding.gyp links -ltensorflow -ltensorflow_framework; the wheel names them libtensorflow_cc.so.2 / …so.2.
  symlinkSync('libtensorflow_cc.so.2', path.join(deps, 'lib', 'libtensorflow.so'));
  symlinkSync('libtensorflow_cc.so.2', path.join(deps, 'lib', 'libtensorflow.so.2'));
  symlinkSync('libtensorflow_framework.so.2', path.join(deps, 'lib', 'libtensorflow_framework.so'));
  rmSync(path.join(pkgDir, 'deps'), { recursive: true, force: true });
  renameSync(deps, path.join(pkgDir, 'deps'));
}

function napiVersion() {
  return Math.min(8, Number(process.versions.napi));
}

function build(pkgDir, tools) {
  const napi = napiVersion();
  const modulePath = path.join(pkgDir, 'lib', `napi-v${napi}`);
  const args = [tools.gyp, 'rebuild', `--nodedir=${tools.nodedir}`, `--napi_build_version=${napi}`, '--module_name=tfjs_binding', `--module_path=${modulePath}`, `--jobs=${process.env.JOBS || 2}`,
    // node-gyp's own cache folder (~/.cache/node-gyp by default) kept inside node_modules too.
    `--devdir=${path.join(CACHE, 'node-gyp')}`];
  console.log(`    node ${args.map((a) => path.relative(ROOT, a).startsWith('..') ? a : path.relative(ROOT, a)).join(' ')}`);
  const r = spawnSync(process.execPath, args, { cwd: pkgDir, encoding: 'utf8', env: { ...process.env, npm_config_nodedir: tools.nodedir } });
  if (r.status !== 0) {
    const log = `${r.stdout}\n${r.stderr}`;
    const errors = log.split('\n').filter((l) => /error|undefined reference|cannot find/i.test(l)).slice(0, 8).join('\n');
    if (/cannot find -ltensorflow|undefined reference/.test(log)) throw new Failure(4, `Linking against the TensorFlow library failed (wrong or incomplete library):\n${errors}`);
    if (/No such file or directory/.test(log) && /\.h\b/.test(errors)) throw new Failure(4, `A TensorFlow C header is missing from the library's include/ folder:\n${errors}`);
    throw new Failure(1, `node-gyp failed (exit ${r.status}):\n${errors || log.slice(-2000)}`);
  }
  const binding = path.join(modulePath, 'tfjs_binding.node');
  if (!existsSync(binding)) throw new Failure(1, `node-gyp succeeded but ${binding} is missing.`);
  return binding;
}

/** Loads the package in a fresh process and runs one op on its backend: proves the ABI matches. */
function verify(pkgName) {
  const script = `
    const tf = require(${JSON.stringify(pkgName)});
    const y = tf.tensor2d([[1, 2], [3, 4]]).matMul(tf.tensor2d([[1], [1]]));
    const v = Array.from(y.dataSync());
    if (tf.getBackend() !== 'tensorflow' || v[0] !== 3 || v[1] !== 7) { console.error('wrong result ' + tf.getBackend() + ' ' + v); process.exit(9); }
    console.log('TensorFlow ' + tf.version['tfjs-node'] + ' backend ' + tf.getBackend() + ', libtensorflow ' + (tf.backend().binding?.TF_Version ?? '?'));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  if (r.status !== 0) {
    const msg = (r.stderr || r.stdout).trim().split('\n').filter((l) => l.trim()).slice(0, 3).join('\n');
    if (/undefined symbol|symbol lookup error|version `/.test(msg)) throw new Failure(5, `The built binding does not load: ABI mismatch between the binding and the TensorFlow library (${msg}). Use a TensorFlow wheel for this system (manylinux, same CPU) and rebuild.`);
    if (/cannot open shared object file/.test(msg)) throw new Failure(5, `The built binding does not load: a library it needs is missing (${msg}). For --gpu: CUDA 12 and cuDNN libraries must be on LD_LIBRARY_PATH (see the README).`);
    throw new Failure(5, `The built binding does not load or compute: ${msg}`);
  }
  return r.stdout.trim();
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const pkgName = args.gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const total = 5;
  const started = Date.now();
  step(1, total, 'Checking the build tools');
  const tools = checkTools();
  console.log(`    ${tools.compiler}; ${tools.python}; Node headers in ${tools.nodedir}/include/node`);
  step(2, total, `Installing ${pkgName} without its download script`);
  const pkgDir = ensurePackage(pkgName, tfjsVersion());
  step(3, total, 'Staging the TensorFlow C library');
  const from = args.from ?? pipDownload(args.gpu);
  stageLibrary(from, pkgDir);
  step(4, total, 'Building the binding (node-gyp)');
  const binding = build(pkgDir, tools);
  console.log(`    ${path.relative(ROOT, binding)}`);
  step(5, total, 'Verifying it loads and computes');
  console.log(`    ${verify(pkgName)}`);
  console.log(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s: the engine line now reports tensorflow${args.gpu ? ' (GPU)' : ''}.`);
}

try {
  main();
} catch (error) {
  console.error(`install-tensorflow: ${error.message}`);
  process.exit(error instanceof Failure ? error.exitCode : 1);
}
