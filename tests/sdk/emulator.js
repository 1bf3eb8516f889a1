'use strict';

// Starts the mfaguard emulator on a free loopback port for one test file
// and stops it afterwards. The binary comes from MFAGUARD_EMULATOR (ctest
// passes it), so these tests never reach anything but 127.0.0.1.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const KEY_ID = 'sdk-test-key';
const KEY_SECRET = 'sdk-test-secret';
const ACCOUNT_ID = '1698272328540001';

function waitForFile(file, ms) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const look = () => {
      if (fs.existsSync(file)) {
        return resolve(fs.readFileSync(file, 'utf8').trim());
      }
      if (Date.now() > until) {
        return reject(new Error('emulator did not write its port file'));
      }
      setTimeout(look, 20);
    };
    look();
  });
}

async function startEmulator(extraArgs = []) {
  const bin = process.env.MFAGUARD_EMULATOR;
  if (!bin) {
    throw new Error('set MFAGUARD_EMULATOR to the mfaguard-emulator binary');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfaguard-sdk-'));
  const portFile = path.join(dir, 'port');
  const child = spawn(bin, [
    '--listen', '127.0.0.1:0', '--port-file', portFile, '--quiet',
    '--key', `${KEY_ID}:${KEY_SECRET}`, '--account-id', ACCOUNT_ID,
    ...extraArgs,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const port = Number(await waitForFile(portFile, 10000));
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    port,
    endpoint,
    stop: () => new Promise((resolve) => {
      child.once('exit', () => {
        fs.rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      child.kill('SIGTERM');
    }),
  };
}

// A plain HTTP exchange with the emulator; resolves {status, headers, body}.
function raw(endpoint, method, target, headers = {}, body = '') {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, method, path: target,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function admin(endpoint, method, target, body) {
  const text = body === undefined ? ''
    : (typeof body === 'string' ? body : JSON.stringify(body));
  const res = await raw(endpoint, method, `/_emulator${target}`,
    { 'content-type': 'application/json' }, text);
  if (res.status >= 300) {
    throw new Error(`admin ${method} ${target}: ${res.status} ${res.body}`);
  }
  return res.body ? JSON.parse(res.body) : null;
}

module.exports = {
  startEmulator, raw, admin, KEY_ID, KEY_SECRET, ACCOUNT_ID,
};
