// A Node service that classifies uploaded images with a trained cnnc model: plain node:http, no framework.
//
//   npx cnnc build specs/mnist.yaml --emit js -o examples/node-service/mnist.model.js
//   npx cnnc train specs/mnist.yaml --epochs 1                # writes runs/MnistNet/model.safetensors
//   node examples/node-service/server.mjs examples/node-service/mnist.model.js runs/MnistNet/model.safetensors [--port 8080] [--host 127.0.0.1]
//
//   curl --data-binary @digit.png http://127.0.0.1:8080/classify              # the image as the body
//   curl -F image=@digit.jpg 'http://127.0.0.1:8080/classify?invert=1'         # a form upload; invert: dark on light
//   curl http://127.0.0.1:8080/                                                # the model's metadata
//
// POST /classify answers {class, name, probability, probabilities} (model.predict), after the image went through
// what `cnnc predict` does to it: decoded as PIL opens it, converted to the input's channels, the spec's eval
// transforms, ending at the input's size (imageInput, cnnc/runtime/node/images). A body that is not a PNG or JPEG
// gets 400 with {error} naming what is wrong; a body over 16 MB, 413. With only @cnnc/runtime installed, build with
// `--runtime @cnnc/runtime` and import from '@cnnc/runtime' and '@cnnc/runtime/node/images' below.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadWeightsFrom } from 'cnnc/runtime';
import { imageInput } from 'cnnc/runtime/node/images';
import { readFile } from 'node:fs/promises';

const MAX_BODY = 16 * 2 ** 20;

/** The service for a model (its loaded module's createModel) with weights loaded: a node:http Server, not listening. */
export function classifier(model) {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://service');
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/') return reply(200, model.metadata);
      if (url.pathname !== '/classify') return reply(404, { error: `no such path: ${url.pathname} (POST /classify, GET /)` });
      if (req.method !== 'POST') return reply(405, { error: 'POST the image to /classify' });
      const body = await readBody(req);
      if (body === null) return reply(413, { error: `the upload is over ${MAX_BODY / 2 ** 20} MB` });
      const upload = await imageOf(req, body);
      if ('error' in upload) return reply(400, upload);
      let x;
      try {
        x = imageInput(upload.bytes, upload.name, model.metadata, { invert: url.searchParams.get('invert') === '1' });
      } catch (e) {
        return reply(400, { error: e.message }); // an ImageError names the upload: truncated, not an image, too large
      }
      const [p] = model.predict(x, 1);
      return reply(200, { class: p.class, name: p.name, probability: p.probability, probabilities: p.probabilities });
    } catch (e) {
      console.error(e);
      return reply(500, { error: 'internal error' });
    }
  });
}

/** The request body, or null past MAX_BODY. */
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The image of a request: a multipart/form-data upload's first file (parsed by the platform's Request.formData),
 *  or the body itself. */
async function imageOf(req, body) {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) return { bytes: body, name: 'upload' };
  let form;
  try {
    form = await new Request('http://service/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
  } catch (e) {
    return { error: `upload: not a readable multipart/form-data body (${e.message})` };
  }
  const file = [...form.values()].find((v) => typeof v !== 'string');
  if (file === undefined) return { error: 'upload: the form holds no file' };
  return { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name || 'upload' };
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });
  const [modulePath, weightsPath] = positionals;
  const port = Number(values.port);
  if (modulePath === undefined || weightsPath === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('usage: node server.mjs MODEL.model.js WEIGHTS.safetensors [--port N (0: any free port)] [--host H]');
    process.exit(2);
  }
  const { createModel } = await import(pathToFileURL(modulePath).href);
  const model = createModel(); // eval mode
  try {
    await loadWeightsFrom(model, await readFile(weightsPath));
  } catch (e) {
    console.error(`error: ${weightsPath}: ${e.message}`); // names the tensor or byte offset
    process.exit(1);
  }
  const server = classifier(model);
  server.listen(port, values.host, () => {
    const { address, port: bound } = server.address();
    console.log(`${model.metadata.name} listening on http://${address}:${bound}`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
