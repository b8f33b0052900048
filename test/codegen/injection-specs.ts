// Specs whose names and text try to break out of the generated code. Accepted ones must compile to
// a module that type-checks and does nothing on import; the rest must be refused with a diagnostic.
export interface InjectionSpec {
  readonly title: string;
  readonly yaml: string;
  /** The spec file name as the user gave it (reaches the header comment). */
  readonly file: string;
}

const NASTY = "*/ `${globalThis.pwned = 1}` '\" \\u2028 \u2028 </script> \n/* // ";

/** Class names a spec's data may give: they land in the module's metadata as string literals. */
export const NASTY_CLASSES: readonly string[] = ["*/ `${globalThis.hacked = 1}` '\" \\u2028 \u2028 </script> \n/* // ", "'); globalThis.hacked = 1; ('", '\\' + String.fromCharCode(0x2029)];

export function injectionYaml(name: string, layer: string, description = NASTY, data?: string): string {
  return [
    'cnnc: 1',
    `name: ${name}`,
    `description: ${JSON.stringify(description)}`,
    'input: { shape: [1, 4, 4] }',
    'layers:',
    `  - { kind: conv2d, name: ${layer}, out_channels: 2, kernel_size: 3 }`,
    '  - flatten',
    '  - { kind: linear, name: toString, out_features: 3 }',
    'loss: { kind: cross_entropy }',
    'optimizer: { kind: sgd, lr: 0.1 }',
    ...(data === undefined ? [] : [`data: ${data}`]),
    '',
  ].join('\n');
}

export const INJECTION_SPECS: readonly InjectionSpec[] = [
  { title: 'model __proto__, layer constructor', yaml: injectionYaml('__proto__', 'constructor'), file: 'evil */ name\n.yaml' },
  { title: 'model constructor, layer __proto__', yaml: injectionYaml('constructor', '__proto__'), file: 'a\u2028b`${x}`.yaml' },
  { title: 'model rt (the runtime namespace), layer hasOwnProperty', yaml: injectionYaml('rt', 'hasOwnProperty'), file: "q'\"uote.yaml" },
  { title: 'model createModel, layer valueOf', yaml: injectionYaml('createModel', 'valueOf'), file: 'x.yaml' },
  { title: 'model Float32Array (a global), layer prototype', yaml: injectionYaml('Float32Array', 'prototype'), file: 'x.yaml' },
  { title: 'model conv1_forward (a kernel name), layer conv1', yaml: injectionYaml('conv1_forward', 'conv1'), file: 'x.yaml' },
  { title: 'model nllLoss, layer this', yaml: injectionYaml('crossEntropyLoss', 'this'), file: 'x.yaml' },
  { title: 'model class (a reserved word), layer new', yaml: injectionYaml('class', 'new'), file: 'x.yaml' },
  {
    title: 'class names that try to leave their string literals (metadata.classes)',
    yaml: injectionYaml('Classes', 'c1', NASTY, `{ source: folder, path: imgs, classes: ${JSON.stringify(NASTY_CLASSES)} }`),
    file: 'x.yaml',
  },
];

/** Names that are not identifiers: refused by the front end. */
export const REFUSED_NAMES: readonly string[] = ['"a*/b"', '"x\\ny"', '"q\'uote"', '"b`${x}`"', '"a.b"', '"1abc"'];
