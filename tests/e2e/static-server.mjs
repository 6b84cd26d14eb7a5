// A minimal static file server for the built playground, on loopback only.
//
// The wasm must be served as application/wasm, or the browser falls back to
// a slower load path and logs a warning.

import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Serves `dir` on 127.0.0.1 at a free port, under `prefix` (a sub-path such
 * as `/courses/redis/lockstep/`, as a static host would; anything outside
 * it is a 404). Resolves to `{ url, close() }`, `url` ending in the prefix.
 */
export async function serveDirectory(dir, { prefix = '/' } = {}) {
  const root = path.resolve(dir);
  const server = http.createServer(async (req, res) => {
    try {
      const fullPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
      if (fullPath + '/' === prefix) {
        // A folder without its slash: hosts redirect, so relative links work.
        res.writeHead(301, { location: prefix }).end();
        return;
      }
      if (!fullPath.startsWith(prefix)) throw new Error('outside the prefix');
      const urlPath = '/' + fullPath.slice(prefix.length);
      let file = path.resolve(root, '.' + urlPath);
      if (file !== root && !file.startsWith(root + path.sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const stat = await fs.stat(file).catch(() => null);
      if (stat?.isDirectory()) file = path.join(file, 'index.html');
      const body = await fs.readFile(file);
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    // Browsers keep idle connections open: close them too, or closing
    // waits for their keep-alive to run out.
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections?.();
      }),
  };
}
